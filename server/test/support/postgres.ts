import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const PG_BIN = process.env.REPRISE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** Connection string of the `postgres` maintenance database, as superuser. */
  adminUrl: string;
  /** A fresh, empty database for one test file or benchmark. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts Debian's PostgreSQL 15 on 127.0.0.1 in a throw-away directory. PostgreSQL refuses to
 * run as root, so as root the cluster is owned by and run as the `postgres` user. fsync is off:
 * these clusters hold test data only.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-pg-'));
  const asRoot = process.getuid?.() === 0;
  // Bounded: a cluster that cannot start fails the run with its log instead of hanging it.
  const options = { timeout: 60_000 };
  const as = (cmd: string, args: string[]) =>
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
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${(error as Error).message}\n${log}`, {
      cause: error,
    });
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    adminUrl,
    async createDatabase(name: string) {
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
