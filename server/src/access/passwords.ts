import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { CollectorError } from '../errors.js';

/**
 * Password hashing with scrypt (node:crypto): memory-hard, no native dependency. Parameters are
 * stored with each hash (`scrypt$N$r$p$salt$hash`) so they can be raised: an older hash still
 * verifies, and `needsRehash` tells the login to store a new one.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's 2025 minimum for scrypt: N=2^17, r=8, p=1 (128 MiB and about 0.2-0.5 s per hash). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-rules.js';
/** A stored hash asking for more than this is refused rather than run (it would be a memory bomb). */
const MAX_N = 2 ** 20;

let currentParams: ScryptParams = DEFAULT_SCRYPT_PARAMS;

/**
 * The cost new hashes get. Hashes made at a lower cost are upgraded at the user's next login.
 * Lowering it is for tests only: a lower cost never replaces a stored higher one.
 */
export function setScryptParams(params: ScryptParams): void {
  currentParams = { ...params };
}

/**
 * At most `concurrency` hashes run at once, process-wide: each one holds a libuv thread (shared
 * with file and zlib work, i.e. the log and the writer) and `128 * N * r` bytes for its
 * duration. Callers beyond that wait in line; beyond `maxWaiting` in line they are refused with
 * a 503, so a flood of logins costs queue slots, not memory or the writer's threads.
 */
export class HashLimiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  /** The most hashes seen running at once (for tests and the curious). */
  peak = 0;

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.queue.length >= this.maxWaiting) {
        throw new PasswordHashBusyError();
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next in line, so `active` never dips and lets a newcomer jump the queue.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export class PasswordHashBusyError extends CollectorError {
  readonly retryAfterSeconds = 5;
  constructor() {
    super('busy', 503, 'too many logins are being checked at once; try again in a few seconds.');
  }
}

/** Two of libuv's four default threads: the other two stay free for the log and the writer. */
export const DEFAULT_HASH_CONCURRENCY = 2;
let limiter = new HashLimiter(DEFAULT_HASH_CONCURRENCY, 64);

/** Sets the process-wide cap on concurrent hashes (`REPRISE_PASSWORD_HASH_CONCURRENCY`). */
export function setPasswordHashConcurrency(concurrency: number, maxWaiting = 64): HashLimiter {
  limiter = new HashLimiter(concurrency, maxWaiting);
  return limiter;
}

export function passwordHashLimiter(): HashLimiter {
  return limiter;
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is below that from N=2^15 on,
  // so ask for it explicitly (same option on Node 20, 22 and 24).
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return limiter.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
          error ? reject(error) : resolve(key),
        ),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const params = currentParams;
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !salt || !hash) return undefined;
  if (!Number.isSafeInteger(params.N) || params.N < 2 || params.N > MAX_N || (params.N & (params.N - 1)) !== 0)
    return undefined;
  if (
    !Number.isSafeInteger(params.r) ||
    params.r < 1 ||
    params.r > 32 ||
    !Number.isSafeInteger(params.p) ||
    params.p < 1 ||
    params.p > 16
  )
    return undefined;
  return { params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
}

/** Whether a stored hash was made at a lower cost than new hashes get (so the login replaces it). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  const { N, r, p } = parsed.params;
  return N * r * p < currentParams.N * currentParams.r * currentParams.p || N < currentParams.N;
}

/** A hash of a random password at the current cost: compared against when a username does not exist, so timing does not tell. */
let decoy: { params: ScryptParams; hash: Promise<string> } | undefined;
export function decoyPasswordHash(): Promise<string> {
  if (decoy?.params !== currentParams)
    decoy = { params: currentParams, hash: hashPassword(randomBytes(16).toString('hex')) };
  return decoy.hash;
}
