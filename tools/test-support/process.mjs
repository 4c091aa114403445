// Real processes for tests that need them, shared by the collector's tests, the browser tests and
// the benches: free ports, temporary folders, s3rver from npm, Debian's nats-server and
// PostgreSQL 15. Everything listens on 127.0.0.1, on a port the kernel picks, since several test
// runs share one machine. Plain JavaScript with a declaration file, as index.mjs.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PG_BIN = process.env.REPRISE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A new empty folder under the system's temporary folder, named `reprise-<prefix>-…`. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `reprise-${prefix}-`));
}

/** A port nobody listens on now (the kernel's pick, released at once). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` until it answers true; throws `what()` (a message) once `timeoutMs` have passed. */
async function pollUntil(check, timeoutMs, what, intervalMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** s3rver (npm) in its own process, on a free port and a temporary folder unless given. */
export async function startS3rver(options = {}) {
  const port = options.port ?? (await freePort());
  const directory = options.directory ?? tempDir('s3rver');
  // s3rver itself, patched so that concurrent PUTs and DELETEs in one folder cannot kill it.
  const bin = fileURLToPath(new URL('./s3rver-without-folder-removal.mjs', import.meta.url));
  const child = spawn(
    process.execPath,
    [bin, '--address', '127.0.0.1', '--port', String(port), '--directory', directory, '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk.toString()));
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  await pollUntil(
    () => fetch(endpoint).then(() => true),
    15_000,
    () => `s3rver did not start:\n${output}`,
    50,
  );
  return {
    endpoint,
    port,
    directory,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Debian's nats-server with JetStream, in a temporary folder; `config` is added to its configuration. */
export async function startNats(options = {}) {
  const dir = tempDir('nats');
  const port = await freePort();
  const httpPort = await freePort();
  const config = join(dir, 'nats.conf');
  writeFileSync(
    config,
    `listen: 127.0.0.1:${port}\nhttp: 127.0.0.1:${httpPort}\njetstream {\n  store_dir: "${join(dir, 'js')}"\n}\n${options.config ?? ''}\n`,
  );
  const child = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  await pollUntil(
    () => fetch(`http://127.0.0.1:${httpPort}/healthz`).then((answer) => answer.ok),
    10_000,
    () => 'nats-server did not start',
    30,
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    storeDir: join(dir, 'js'),
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts Debian's PostgreSQL 15 on 127.0.0.1 in a throw-away directory. PostgreSQL refuses to
 * run as root, so as root the cluster is owned by and run as the `postgres` user. fsync is off:
 * these clusters hold test data only.
 */
export async function startTestPostgres() {
  // pg is the caller's dependency (the collector's); loaded here so index.mjs users need none.
  const { default: pg } = await import('pg');
  const dir = tempDir('pg');
  const asRoot = process.getuid?.() === 0;
  // Bounded: a cluster that cannot start fails the run with its log instead of hanging it.
  const options = { timeout: 60_000 };
  const as = (cmd, args) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], options) : run(cmd, args, options);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(dir, 0o700);
  }
  const dataDir = join(dir, 'data');
  const port = await freePort();
  await as(join(PG_BIN, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--locale=C',
  ]);
  try {
    await as(join(PG_BIN, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-k ${dir} -h 127.0.0.1 -p ${port} -F -c max_connections=200`,
      'start',
    ]);
  } catch (error) {
    const log = existsSync(join(dir, 'server.log'))
      ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)
      : '(no log)';
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${error.message}\n${log}`, { cause: error });
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    adminUrl,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await as(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
