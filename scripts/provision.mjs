// Brings what npm cannot: Debian packages the test suite needs (as `playwright install --with-deps`
// would). Idempotent: does nothing when everything is already there.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** paths that prove the package is installed (any one) -> Debian package */
const NEEDED = [
  { bins: ['/usr/bin/chromium'], pkg: 'chromium', why: 'browser tests (playwright-core drives Debian Chromium)' },
  // Debian ships nats-server in /usr/sbin; checking /usr/bin alone re-ran apt-get on every test run.
  { bins: ['/usr/sbin/nats-server', '/usr/bin/nats-server'], pkg: 'nats-server', why: 'JetStream log back-end tests' },
  { bins: ['/usr/lib/postgresql'], pkg: 'postgresql', why: 'PostgreSQL index tests' },
];

export function provision({ log = console.log } = {}) {
  const missing = NEEDED.filter((item) => !item.bins.some((bin) => existsSync(bin)));
  if (missing.length === 0) return;
  for (const item of missing)
    log(`[provision] ${item.pkg} is missing (${item.bins.join(' or ')}); needed for ${item.why}.`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  const run = (args) => {
    log(`[provision] ${[...sudo, ...args].join(' ')}`);
    const [cmd, ...rest] = [...sudo, ...args];
    execFileSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing.map((item) => item.pkg)]);
  } catch (error) {
    throw new Error(
      `[provision] Could not install ${missing.map((i) => i.pkg).join(', ')} with apt-get. Install them yourself (as root: apt-get install -y ${missing.map((i) => i.pkg).join(' ')}) and run the tests again.`,
      { cause: error },
    );
  }
  log('[provision] done.');
}

if (import.meta.url === `file://${process.argv[1]}`) provision();
