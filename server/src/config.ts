import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_STRING_LENGTH,
  DEFAULT_MAX_VALUES,
} from '@reprise/protocol';
import { z } from 'zod';
import { CollectorError } from './errors.js';
import { DEV_PROJECT, projectsSchema, type ProjectConfig, type ProjectInput } from './projects.js';

/**
 * Every setting: an environment variable `REPRISE_X_Y` and the flag `--x-y`. Flags win over the
 * environment; everything is validated at start and each bad value gets its own message.
 */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number()
    .int(`must be a whole number`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const positive = z.coerce.number().positive('must be a positive number');

/** Express's named subnets, accepted in a REPRISE_TRUST_PROXY list. */
const NAMED_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isAddressOrSubnet(entry: string): boolean {
  if (NAMED_SUBNETS.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}
/**
 * Express `trust proxy`: `false` (clients connect directly), a hop count, or the proxies'
 * addresses. `true` (trust every hop) is refused: any client could then claim any IP.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const bad = entries.filter((entry) => !isAddressOrSubnet(entry));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be false, a hop count (1 for one proxy in front) or a comma-separated list of proxy addresses / subnets (10.0.0.0/8, loopback); not ${bad.length > 0 ? bad.map((entry) => JSON.stringify(entry)).join(', ') : 'empty'}`,
      });
      return z.NEVER;
    }
    return entries;
  });

interface SettingSpec {
  /** Its environment variable is `REPRISE_` and the key in upper snake case: `natsAckWaitMs` is `REPRISE_NATS_ACK_WAIT_MS`. */
  key: keyof CollectorConfigInput;
  help: string;
  schema: z.ZodType;
  /** Shown in --help. */
  default?: string;
}
interface OptionSpec extends SettingSpec {
  env: string;
}

const envOf = (key: string) => `REPRISE_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;

const settings: SettingSpec[] = [
  {
    key: 'host',
    help: 'Address to listen on (0.0.0.0 to accept remote clients).',
    schema: z.string().min(1),
    default: '127.0.0.1',
  },
  {
    key: 'port',
    help: 'Port to listen on (0 picks a free one).',
    schema: int(0, 65535),
    default: '4400',
  },
  {
    key: 'trustProxy',
    help: "Behind a TLS proxy: trust its X-Forwarded-For / -Proto / -Host. false, a hop count, or the proxies' addresses / subnets (comma-separated; loopback, linklocal, uniquelocal allowed).",
    schema: trustProxy,
    default: 'false',
  },
  {
    key: 'dataDir',
    help: 'Folder for the log, the keyring, data keys and (folder store) objects.',
    schema: z.string().min(1),
    default: './.reprise',
  },
  {
    key: 'logBackend',
    help: 'Ingest log: "file" (embedded, fsync) or "nats" (JetStream).',
    schema: z.enum(['file', 'nats']),
    default: 'file',
  },
  {
    key: 'logFileBytes',
    help: 'Size of each embedded log file (the next one is preallocated once the current one is half full).',
    schema: int(64 * 1024, 1024 * 1024 * 1024),
    default: String(64 * 1024 * 1024),
  },
  {
    key: 'logFileMaxAgeMs',
    help: 'Roll the embedded log to a new file once its oldest record is this old, so released (stored) batches are deleted, and their log key shredded, within minutes even on a quiet collector.',
    schema: int(1000, 24 * 3600 * 1000),
    default: String(5 * 60_000),
  },
  {
    key: 'natsUrl',
    help: 'NATS servers for the nats log, comma-separated.',
    schema: z.string().regex(/^nats:\/\//, 'must start with nats://'),
    default: 'nats://127.0.0.1:4222',
  },
  {
    key: 'natsUser',
    help: 'User name for nats-server (with REPRISE_NATS_PASSWORD); nats.js ignores user:pass@ in the URL.',
    schema: z.string().min(1),
  },
  {
    key: 'natsPassword',
    help: 'Password for REPRISE_NATS_USER.',
    schema: z.string().min(1),
  },
  {
    key: 'natsToken',
    help: "Token for nats-server's token authentication.",
    schema: z.string().min(1),
  },
  {
    key: 'natsCreds',
    help: 'A NATS .creds file (JWT and NKey seed, as nsc writes it).',
    schema: z.string().min(1),
  },
  {
    key: 'natsTlsCa',
    help: "PEM file of the CA that signed nats-server's certificate; setting any REPRISE_NATS_TLS_* turns TLS on.",
    schema: z.string().min(1),
  },
  {
    key: 'natsTlsCert',
    help: 'PEM client certificate, for a nats-server that verifies clients (with REPRISE_NATS_TLS_KEY).',
    schema: z.string().min(1),
  },
  {
    key: 'natsTlsKey',
    help: 'PEM private key of REPRISE_NATS_TLS_CERT.',
    schema: z.string().min(1),
  },
  {
    key: 'natsStream',
    help: 'JetStream stream name.',
    schema: z.string().regex(/^[A-Za-z0-9_-]+$/),
    default: 'REPRISE_INGEST',
  },
  {
    key: 'nodeId',
    help: "This node's name among collector nodes on one NATS (its ledger intents, its messages on the cluster bus); stable across restarts, unique per node.",
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-", at most 64'),
    default: '<host name>',
  },
  {
    key: 'natsAckWaitMs',
    help: "After this long without a heartbeat, a crashed node's messages go to another writer.",
    schema: int(1000),
    default: '30000',
  },
  {
    key: 'natsReplicas',
    help: 'Stream replicas (3 in a JetStream cluster).',
    schema: int(1, 5),
    default: '1',
  },
  {
    key: 'store',
    help: 'Object store: "folder" or "s3".',
    schema: z.enum(['folder', 's3']),
    default: 'folder',
  },
  {
    key: 'objectsDir',
    help: 'Folder store location.',
    schema: z.string().min(1),
    default: '<data dir>/objects',
  },
  {
    key: 's3Bucket',
    help: 'S3 bucket (required with REPRISE_STORE=s3).',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  },
  {
    key: 's3Region',
    help: 'S3 region.',
    schema: z.string().min(1),
    default: 'us-east-1 (or AWS_REGION)',
  },
  {
    key: 's3Endpoint',
    help: 'S3-compatible endpoint URL (MinIO, R2, s3rver); omit for AWS.',
    schema: z.string().url('must be a URL'),
  },
  {
    key: 's3ForcePathStyle',
    help: 'Path-style bucket URLs (most S3-compatible servers).',
    schema: bool,
    default: 'false',
  },
  {
    key: 's3Prefix',
    help: 'Key prefix inside the bucket, e.g. "reprise/".',
    schema: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be empty or end with "/"'),
    default: '',
  },
  {
    key: 's3CreateBucket',
    help: 'Create the bucket when missing (development).',
    schema: bool,
    default: 'false',
  },
  {
    key: 's3ArchiveClass',
    help: 'Storage class for archived objects.',
    schema: z.string().min(1),
    default: 'GLACIER_IR',
  },
  {
    key: 'keyring',
    help: 'Keyring file with the key-encryption keys (created 0600 on first start).',
    schema: z.string().min(1),
    default: '<data dir>/keyring.json',
  },
  {
    key: 'keyringJson',
    help: 'The keyring itself (its JSON document, or that JSON in base64), for platforms that hand secrets over as environment variables; wins over REPRISE_KEYRING. Read-only: rotate by changing the secret.',
    schema: z.string().min(2),
  },
  {
    key: 'keysDir',
    help: 'Folder for wrapped per-session data keys (kept apart from the objects).',
    schema: z.string().min(1),
    default: '<data dir>/keys',
  },
  {
    key: 'keysS3Bucket',
    help: 'Keep wrapped data keys in this S3 bucket instead of REPRISE_KEYS_DIR (several nodes); same endpoint, region and path style as the object store.',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  },
  {
    key: 'keysS3Prefix',
    help: 'Key prefix for data keys in REPRISE_KEYS_S3_BUCKET.',
    schema: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be empty or end with "/"'),
    default: 'reprise-keys/',
  },
  {
    key: 'projects',
    help: 'Projects as JSON: [{"id","keys":[...],"origins":[...],"retentionDays","archiveAfterDays","rateLimit":{"perSecond","burst"}}].',
    schema: z.string().min(1),
  },
  {
    key: 'projectsFile',
    help: 'Path of a JSON file with the same projects array.',
    schema: z.string().min(1),
  },
  {
    key: 'maxBodyBytes',
    help: 'Largest request body.',
    schema: int(64, 64 * 1024 * 1024),
    default: String(1024 * 1024),
  },
  {
    key: 'maxDecompressedBytes',
    help: 'Largest batch after decompression.',
    schema: int(1024, 256 * 1024 * 1024),
    default: String(DEFAULT_MAX_DECOMPRESSED_BYTES),
  },
  {
    key: 'maxEvents',
    help: 'Most events in one batch.',
    schema: int(1),
    default: String(DEFAULT_MAX_EVENTS),
  },
  {
    key: 'maxStringLength',
    help: 'Longest string in a batch.',
    schema: int(16),
    default: String(DEFAULT_MAX_STRING_LENGTH),
  },
  {
    key: 'maxDepth',
    help: 'Deepest nesting in a batch.',
    schema: int(8, 10_000),
    default: String(DEFAULT_MAX_DEPTH),
  },
  {
    key: 'maxValues',
    help: 'Most msgpack values (containers, scalars, keys) in one batch: bounds the time and memory one batch costs to decode.',
    schema: int(1000),
    default: String(DEFAULT_MAX_VALUES),
  },
  {
    key: 'maxClockSkewMs',
    help: "Refuse a batch whose timestamps are further than this from the collector's clock (either way); a device whose clock is off by more is corrected by the send time its recorder reports.",
    schema: int(60_000),
    default: String(24 * 3600_000),
  },
  {
    key: 'decodeMemoryBytes',
    help: 'Memory that batches being decoded and written may take together; past it ingest answers 503 with Retry-After.',
    schema: int(16 * 1024 * 1024),
    default: String(512 * 1024 * 1024),
  },
  {
    key: 'rateLimitPerSecond',
    help: "Batches per second per ingest key, i.e. for all of a project's visitors together (projects may set their own).",
    schema: positive,
    default: '1000',
  },
  {
    key: 'rateLimitBurst',
    help: 'Burst allowance per ingest key.',
    schema: positive,
    default: '2000',
  },
  {
    key: 'sessionRateLimitPerSecond',
    help: "Batches per second per session id, so one client cannot spend its project's budget.",
    schema: positive,
    default: '20',
  },
  {
    key: 'sessionRateLimitBurst',
    help: 'Burst allowance per session id (a page flushing its outbox after a reconnect).',
    schema: positive,
    default: '200',
  },
  {
    key: 'addressRateLimitPerSecond',
    help: 'Batches per second per client address (see REPRISE_TRUST_PROXY).',
    schema: positive,
    default: '100',
  },
  {
    key: 'addressRateLimitBurst',
    help: 'Burst allowance per client address.',
    schema: positive,
    default: '1000',
  },
  {
    key: 'minFreeDiskBytes',
    help: "Below this much free space on the log's disk, ingest answers 503 instead of filling it (0: off).",
    schema: int(0),
    default: String(1024 * 1024 * 1024),
  },
  {
    key: 'redactEmails',
    help: 'Redact e-mail addresses server-side.',
    schema: bool,
    default: 'true',
  },
  {
    key: 'redactCards',
    help: 'Redact Luhn-valid card numbers server-side.',
    schema: bool,
    default: 'true',
  },
  {
    key: 'redactSsn',
    help: 'Redact US social security numbers written 123-45-6789 server-side.',
    schema: bool,
    default: 'true',
  },
  {
    key: 'redactPhones',
    help: 'Redact international phone numbers written with a leading "+" server-side (off: prices, versions and ids in that form would be masked too).',
    schema: bool,
    default: 'false',
  },
  {
    key: 'dropQueryStrings',
    help: 'Drop the query string and fragment of every URL server-side (events and index), for sites whose URLs carry personal data in parameters of any name.',
    schema: bool,
    default: 'false',
  },
  {
    key: 'redactPatterns',
    help: 'Extra patterns as a JSON array of RegExp sources, e.g. ["\\\\b\\\\d{3}-\\\\d{2}-\\\\d{4}\\\\b"].',
    schema: z.string(),
  },
  {
    key: 'segmentMaxBytes',
    help: 'Cut a segment past this many bytes of batches.',
    schema: int(1024),
    default: String(1024 * 1024),
  },
  {
    key: 'segmentMaxAgeMs',
    help: 'Cut a segment this long after its first batch.',
    schema: int(10),
    default: '10000',
  },
  {
    key: 'writerYieldMs',
    help: 'While ingest is saturated (16 or more requests being answered at once), the writer leaves the durable log unread for up to this long at a stretch, so a burst is acknowledged first and stored after (0: never).',
    schema: int(0),
    default: '5000',
  },
  {
    key: 'assetMaxBytes',
    help: 'Largest page asset (stylesheet, font, image) the recorder may upload.',
    schema: int(1024),
    default: String(2 * 1024 * 1024),
  },
  {
    key: 'assetSessionMaxBytes',
    help: 'Most page-asset bytes one session may upload.',
    schema: int(1024),
    default: String(16 * 1024 * 1024),
  },
  {
    key: 'retentionDays',
    help: 'Default retention in days (projects may set their own).',
    schema: int(1, 36500),
    default: '30',
  },
  {
    key: 'archiveAfterDays',
    help: 'Default days before S3 objects move to the archive class.',
    schema: int(1, 36500),
  },
  {
    key: 'sweepIntervalMs',
    help: 'How often the folder store and data keys are swept for expired sessions.',
    schema: int(1000),
    default: '3600000',
  },
  {
    key: 'shutdownTimeoutMs',
    help: 'How long shutdown waits for the log to drain into the store.',
    schema: int(0),
    default: '30000',
  },
  {
    key: 'dedupeCapacity',
    help: 'Batch ids remembered for ack-time dedupe.',
    schema: int(1000),
    default: '500000',
  },
  {
    key: 'index',
    help: 'Session index: "sqlite" (embedded) or "postgres" (several collector nodes).',
    schema: z.enum(['sqlite', 'postgres']),
    default: 'sqlite',
  },
  {
    key: 'indexPath',
    help: 'SQLite index file.',
    schema: z.string().min(1),
    default: '<data dir>/index.sqlite',
  },
  {
    key: 'databaseUrl',
    help: 'PostgreSQL connection string (required with REPRISE_INDEX=postgres), e.g. postgres://user:password@host:5432/database.',
    schema: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://'),
  },
  {
    key: 'publicUrl',
    help: 'Base URL viewers reach the collector at (behind a proxy), for the printed setup link. Default: the listen address.',
    schema: z.string().url('must be a URL'),
  },
  {
    key: 'replayOrigin',
    help: "Origin the admin UI's replay frame is loaded from, another name for this collector that the viewer's login cookie never goes to (e.g. https://replay.example.com), so a replayed page cannot act as the viewer. Default: on a loopback address the other loopback name (localhost / 127.0.0.1), else the admin's own origin.",
    schema: z.string().url('must be a URL'),
  },
  {
    key: 'sessionIdleMinutes',
    help: "A viewer's login ends after this many minutes without a request (it ends after 12 hours in any case).",
    schema: int(1, 720),
    default: '30',
  },
  {
    key: 'tokenMaxDays',
    help: 'Longest lifetime an API token may be given at creation, in days (new tokens default to 90, or this if lower).',
    schema: int(1, 3650),
    default: '365',
  },
  {
    key: 'passwordHashConcurrency',
    help: 'Password hashes (scrypt, 128 MiB each) run at once; more logins wait, and past 64 waiting get a 503. Keep it below UV_THREADPOOL_SIZE (4) so the writer keeps threads.',
    schema: int(1, 64),
    default: '2',
  },
  {
    key: 'loginFailureRetentionDays',
    help: 'Failed-login rows of the audit log are deleted after this many days (every other row is kept).',
    schema: int(1, 36500),
    default: '30',
  },
  {
    key: 'metricsToken',
    help: 'Bearer token /metrics and /readyz?detail ask for (Prometheus: authorization.credentials). Without it, and without REPRISE_METRICS_PORT, they answer 404.',
    schema: z.string().min(16, 'must be at least 16 characters'),
  },
  {
    key: 'metricsPort',
    help: 'Serve /metrics and /readyz (detailed) without a token on this separate port, on REPRISE_METRICS_HOST.',
    schema: int(0, 65535),
  },
  {
    key: 'metricsHost',
    help: 'Address the metrics port listens on.',
    schema: z.string().min(1),
    default: '127.0.0.1',
  },
  {
    key: 'logLevel',
    help: 'pino level: fatal, error, warn, info, debug, trace, silent.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
  },
];
const options: OptionSpec[] = settings.map((setting) => ({ ...setting, env: envOf(setting.key) }));

export interface CollectorConfigInput {
  host: string;
  port: number;
  /** Express `trust proxy`: which hops' X-Forwarded-* headers count (cookies' Secure, audit IPs). */
  trustProxy: false | number | string[];
  dataDir: string;
  logBackend: 'file' | 'nats';
  logFileBytes: number;
  logFileMaxAgeMs: number;
  natsUrl: string;
  natsStream: string;
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsCreds?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  natsReplicas: number;
  natsAckWaitMs: number;
  nodeId?: string;
  store: 'folder' | 's3';
  objectsDir?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3Endpoint?: string;
  s3ForcePathStyle: boolean;
  s3Prefix: string;
  s3CreateBucket: boolean;
  s3ArchiveClass: string;
  keyring?: string;
  keyringJson?: string;
  keysDir?: string;
  keysS3Bucket?: string;
  keysS3Prefix: string;
  projects?: string;
  projectsFile?: string;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxEvents: number;
  maxStringLength: number;
  maxDepth: number;
  maxValues: number;
  maxClockSkewMs: number;
  decodeMemoryBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  sessionRateLimitPerSecond: number;
  sessionRateLimitBurst: number;
  addressRateLimitPerSecond: number;
  addressRateLimitBurst: number;
  minFreeDiskBytes: number;
  redactEmails: boolean;
  redactCards: boolean;
  redactSsn: boolean;
  redactPhones: boolean;
  dropQueryStrings: boolean;
  redactPatterns?: string;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
  writerYieldMs: number;
  assetMaxBytes: number;
  assetSessionMaxBytes: number;
  retentionDays: number;
  archiveAfterDays?: number;
  sweepIntervalMs: number;
  shutdownTimeoutMs: number;
  dedupeCapacity: number;
  index: 'sqlite' | 'postgres';
  indexPath?: string;
  databaseUrl?: string;
  publicUrl?: string;
  replayOrigin?: string;
  sessionIdleMinutes: number;
  tokenMaxDays: number;
  passwordHashConcurrency: number;
  loginFailureRetentionDays: number;
  metricsToken?: string;
  metricsPort?: number;
  metricsHost: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The resolved configuration `createCollector` takes. */
export interface CollectorConfig extends Omit<
  CollectorConfigInput,
  | 'projects'
  | 'projectsFile'
  | 'redactPatterns'
  | 'objectsDir'
  | 'keyring'
  | 'keysDir'
  | 's3Region'
  | 'indexPath'
  | 'nodeId'
> {
  nodeId: string;
  objectsDir: string;
  /** SQLite index file (used when `index` is `sqlite`). */
  indexPath: string;
  keyring: string;
  keysDir: string;
  s3Region: string;
  projectList: ProjectConfig[];
  /** True when no project was configured and the dev project is in use. */
  devProject: boolean;
  redactPatterns: string[];
}

const flagOf = (env: string) => `--${env.slice('REPRISE_'.length).toLowerCase().replaceAll('_', '-')}`;

export function helpText(): string {
  const lines = [
    'reprise-collector: Reprise session ingest and storage',
    '',
    'Usage: reprise-collector [--flag value]...   (flags override REPRISE_* environment variables)',
    '',
  ];
  for (const option of options) {
    lines.push(`  ${flagOf(option.env).padEnd(32)} ${option.env}`);
    lines.push(`      ${option.help}${option.default !== undefined ? ` Default: ${option.default || '(empty)'}` : ''}`);
  }
  lines.push('', '  --help                           Show this help.', '');
  lines.push(
    'With no configuration: 127.0.0.1:4400, data in ./.reprise, embedded log, folder store, project "dev" (key "dev").',
  );
  return lines.join('\n');
}

function parseArgv(argv: readonly string[]): { values: Record<string, string>; errors: string[]; help: boolean } {
  const byFlag = new Map(options.map((option) => [flagOf(option.env), option.env]));
  const values: Record<string, string> = {};
  const errors: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const env = byFlag.get(flag);
    if (!env) {
      errors.push(`Unknown argument "${arg}" (see --help).`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) errors.push(`${flag} needs a value.`);
    else values[env] = value;
  }
  return { values, errors, help };
}

/** Apply defaults and derived paths to a partial config (tests and embedding use this directly). */
export function resolveConfig(
  input: Partial<CollectorConfigInput> & { projectList?: ProjectInput[] } = {},
): CollectorConfig {
  const raw: Record<string, string> = {};
  for (const option of options) {
    const value = input[option.key];
    if (value !== undefined) raw[option.env] = String(value);
  }
  const config = validate(raw, []);
  if (input.projectList) {
    const parsed = projectsSchema.safeParse(input.projectList);
    if (!parsed.success)
      throw new CollectorError(
        'bad_config',
        2,
        `Invalid projectList: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`,
      );
    const colliding = projectsAmongDataKeys(config, parsed.data);
    if (colliding.length > 0) throw new CollectorError('bad_config', 2, `Invalid projectList: ${colliding.join(' ')}`);
    return { ...config, projectList: parsed.data, devProject: false };
  }
  return config;
}

/** Read, validate and resolve the configuration from the environment and the command line. */
export function loadConfig(source: {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  argv: readonly string[];
}): { config: CollectorConfig; help: false } | { help: true } {
  const parsed = parseArgv(source.argv);
  if (parsed.help) return { help: true };
  const raw: Record<string, string> = {};
  for (const option of options) {
    const value = parsed.values[option.env] ?? source.env[option.env];
    if (value !== undefined && value !== '') raw[option.env] = value;
  }
  return { config: validate(raw, parsed.errors), help: false };
}

/**
 * A subcommand's configuration (`keys`, `dead-letters`), from the collector's own flags and
 * environment; with `--help`, its usage is printed and the exit code returned instead.
 */
export function loadCommandConfig(
  flags: readonly string[],
  env: NodeJS.ProcessEnv,
  usage: string,
  print: (line: string) => void,
): CollectorConfig | number {
  const loaded = loadConfig({ env, argv: flags });
  if (!loaded.help) return loaded.config;
  print(usage);
  return 0;
}

function validate(raw: Record<string, string>, errors: string[]): CollectorConfig {
  const values: Record<string, unknown> = {};
  for (const option of options) {
    const input =
      raw[option.env] ??
      (option.default !== undefined && !option.default.startsWith('<') && !option.default.includes(' ')
        ? option.default
        : undefined);
    if (input === undefined) continue;
    const result = option.schema.safeParse(input);
    if (result.success) values[option.key] = result.data;
    else
      errors.push(
        `${option.env} (${flagOf(option.env)}) = ${JSON.stringify(input).slice(0, 80)}: ${result.error.issues[0]?.message ?? 'invalid'}.`,
      );
  }
  const input = values as unknown as CollectorConfigInput;
  if (input.store === 's3' && !input.s3Bucket)
    errors.push('REPRISE_S3_BUCKET (--s3-bucket) is required when REPRISE_STORE=s3.');
  if (input.index === 'postgres' && !input.databaseUrl)
    errors.push('REPRISE_INDEX=postgres needs REPRISE_DATABASE_URL=postgres://user:password@host:5432/database.');
  if (input.replayOrigin !== undefined && input.publicUrl === undefined)
    errors.push(
      "REPRISE_REPLAY_ORIGIN needs REPRISE_PUBLIC_URL: the admin UI's own address, the one page allowed to frame the replay.",
    );
  else if (input.replayOrigin !== undefined && new URL(input.replayOrigin).origin === new URL(input.publicUrl!).origin)
    errors.push(
      'REPRISE_REPLAY_ORIGIN must differ from REPRISE_PUBLIC_URL: another host name, which the login cookie never goes to.',
    );
  if ((input.natsUser === undefined) !== (input.natsPassword === undefined))
    errors.push('REPRISE_NATS_USER and REPRISE_NATS_PASSWORD go together: set both, or neither.');
  if ((input.natsTlsCert === undefined) !== (input.natsTlsKey === undefined))
    errors.push('REPRISE_NATS_TLS_CERT and REPRISE_NATS_TLS_KEY go together: set both, or neither.');
  if (input.s3Prefix === undefined) input.s3Prefix = '';
  if (input.keysS3Prefix === undefined) input.keysS3Prefix = 'reprise-keys/';
  const keysShareBucket = input.keysS3Bucket !== undefined && input.keysS3Bucket === input.s3Bucket;
  if (keysShareBucket && input.keysS3Prefix === input.s3Prefix) {
    errors.push(
      "REPRISE_KEYS_S3_PREFIX must differ from REPRISE_S3_PREFIX when data keys share the objects' bucket: keys live apart from the objects they protect.",
    );
  } else if (keysShareBucket && input.store === 's3' && input.s3Prefix.startsWith(input.keysS3Prefix)) {
    errors.push(
      `REPRISE_S3_PREFIX "${input.s3Prefix}" is inside REPRISE_KEYS_S3_PREFIX "${input.keysS3Prefix}" in the same bucket: the segments would sit among the data keys. Give the keys a prefix of their own (the default is reprise-keys/) or their own bucket.`,
    );
  }

  let projectList: ProjectConfig[] = [DEV_PROJECT];
  let devProject = true;
  const projectsSource =
    input.projects ?? (input.projectsFile ? readProjectsFile(input.projectsFile, errors) : undefined);
  if (input.projects && input.projectsFile) errors.push('Set REPRISE_PROJECTS or REPRISE_PROJECTS_FILE, not both.');
  if (projectsSource !== undefined) {
    try {
      const parsed = projectsSchema.safeParse(JSON.parse(projectsSource));
      if (parsed.success) {
        projectList = parsed.data;
        devProject = false;
      } else {
        for (const issue of parsed.error.issues)
          errors.push(`REPRISE_PROJECTS at ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
      }
    } catch (error) {
      errors.push(`REPRISE_PROJECTS is not valid JSON: ${(error as Error).message}.`);
    }
  }
  errors.push(...projectsAmongDataKeys(input, projectList));
  let redactPatterns: string[] = [];
  if (input.redactPatterns) {
    try {
      const list = z.array(z.string()).parse(JSON.parse(input.redactPatterns));
      for (const pattern of list) new RegExp(pattern, 'g');
      redactPatterns = list;
    } catch (error) {
      errors.push(`REPRISE_REDACT_PATTERNS must be a JSON array of valid RegExp sources: ${(error as Error).message}.`);
    }
  }
  if (errors.length > 0) {
    throw new CollectorError(
      'bad_config',
      2,
      `Invalid configuration:\n  - ${errors.join('\n  - ')}\nRun reprise-collector --help for every setting.`,
    );
  }
  const dataDir = resolve(input.dataDir);
  const { projects: _projects, projectsFile: _projectsFile, ...rest } = input;
  return {
    ...rest,
    dataDir,
    objectsDir: resolve(input.objectsDir ?? `${dataDir}/objects`),
    keyring: resolve(input.keyring ?? `${dataDir}/keyring.json`),
    keysDir: resolve(input.keysDir ?? `${dataDir}/keys`),
    nodeId:
      input.nodeId ??
      (hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 64) ||
        'node'),
    indexPath: resolve(input.indexPath ?? `${dataDir}/index.sqlite`),
    ...(input.publicUrl ? { publicUrl: input.publicUrl.replace(/\/$/, '') } : {}),
    ...(input.replayOrigin ? { replayOrigin: new URL(input.replayOrigin).origin } : {}),
    s3Region: input.s3Region ?? process.env.AWS_REGION ?? 'us-east-1',
    projectList,
    devProject,
    redactPatterns,
  };
}

/**
 * With the data keys in the objects' bucket, a project whose objects prefix `{s3Prefix}{project}/`
 * holds the keys' prefix (a project named `reprise-keys` with no REPRISE_S3_PREFIX) would get a
 * lifecycle rule that expires every project's data keys, and retention would read the keys as
 * that project's segments. Such a project id is refused at start.
 */
function projectsAmongDataKeys(
  settings: Pick<CollectorConfigInput, 'store' | 's3Bucket' | 's3Prefix' | 'keysS3Bucket' | 'keysS3Prefix'>,
  projects: readonly Pick<ProjectConfig, 'id'>[],
): string[] {
  if (settings.store !== 's3' || !settings.keysS3Bucket || settings.keysS3Bucket !== settings.s3Bucket) return [];
  const keysPrefix = settings.keysS3Prefix ?? 'reprise-keys/';
  return projects
    .filter((project) => keysPrefix.startsWith(`${settings.s3Prefix ?? ''}${project.id}/`))
    .map(
      (project) =>
        `Project "${project.id}" is named like the data keys' prefix: its objects (s3://${settings.s3Bucket}/${settings.s3Prefix ?? ''}${project.id}/) would hold the data keys under REPRISE_KEYS_S3_PREFIX "${keysPrefix}", and its retention rule would expire every project's data keys. Rename the project, or give the keys another prefix or bucket.`,
    );
}

function readProjectsFile(path: string, errors: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    errors.push(`REPRISE_PROJECTS_FILE ${path} cannot be read: ${(error as Error).message}.`);
    return undefined;
  }
}
