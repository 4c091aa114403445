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

/** s3rver (npm) in its own process, on a free port and a temporary folder unless given. */
export async function startS3rver(options = {}) {
  const directory = options.directory ?? tempDir('s3rver');
  // s3rver itself, patched so that concurrent PUTs and DELETEs in one folder cannot kill it.
  const bin = fileURLToPath(new URL('./s3rver-without-folder-removal.mjs', import.meta.url));
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      process.execPath,
      [bin, '--address', '127.0.0.1', '--port', String(port), '--directory', directory, '--silent'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { exited, exitCode, output } = watchChild(child);
    const endpoint = `http://127.0.0.1:${port}`;
    const ready = await until(
      () => exitCode() !== undefined,
      () => fetch(endpoint, { signal: AbortSignal.timeout(2_000) }).then(() => true),
      15_000,
    );
    if (!ready && exitCode() === undefined) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`s3rver did not answer within 15 s:\n${output()}`);
    }
    if (!ready) {
      // A port freePort saw free, taken by another test before s3rver bound it.
      if (options.port === undefined && attempt < 3 && /EADDRINUSE/.test(output())) continue;
      throw new Error(`s3rver exited (${exitCode()}) before it was ready:\n${output()}`);
    }
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
}

/**
 * Drains a child's output (an unread pipe that fills up would stall it), keeping its end to
 * explain a failure, and notes its exit.
 */
function watchChild(child) {
  let output = '';
  let code;
  const keep = (chunk) => (output = (output + chunk.toString()).slice(-16_384));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) =>
    child.once('exit', (exitCode, signal) => {
      code = exitCode ?? signal;
      resolve();
    }),
  );
  return { exited, exitCode: () => code, output: () => output };
}

/**
 * Polls `check` every 30 ms until it answers true (then true), `gone()` turns true, or `timeoutMs`
 * have passed (then false). Each check bounds its own wait: a port another process took may
 * accept a connection and never answer.
 */
async function until(gone, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) return false;
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

/** Debian's nats-server with JetStream, in a temporary folder; `config` is added to its configuration. */
export async function startNats(options = {}) {
  const dir = tempDir('nats');
  const config = join(dir, 'nats.conf');
  // A port freePort saw free can be taken by another test before nats-server binds it: that start
  // exits at once ("address already in use") and is tried again on other ports.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let httpPort = await freePort();
    while (httpPort === port) httpPort = await freePort();
    writeFileSync(
      config,
      `listen: 127.0.0.1:${port}\nhttp: 127.0.0.1:${httpPort}\njetstream {\n  store_dir: "${join(dir, 'js')}"\n}\n${options.config ?? ''}\n`,
    );
    const child = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { exited, exitCode, output } = watchChild(child);
    const ready = await until(
      () => exitCode() !== undefined,
      () =>
        fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
          (answer) => answer.ok,
        ),
      30_000,
    );
    if (!ready && exitCode() === undefined) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`nats-server did not answer /healthz within 30 s:\n${output()}`);
    }
    if (!ready) {
      if (attempt < 3 && /address already in use/i.test(output())) continue;
      throw new Error(`nats-server exited (${exitCode()}) before it was ready:\n${output()}`);
    }
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
  let port;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    rmSync(join(dir, 'server.log'), { force: true });
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
      break;
    } catch (error) {
      const log = existsSync(join(dir, 'server.log'))
        ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)
        : '(no log)';
      // A port freePort saw free, taken by another test before PostgreSQL bound it.
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${error.message}\n${log}`, { cause: error });
    }
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
