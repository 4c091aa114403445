import { describe, expect, it } from 'vitest';
import { helpText, loadConfig, type CollectorConfig } from './config.js';
import { sessionsPluginOptionsFromConfig } from './sessions-api/plugin.js';

const configFrom = (env: Record<string, string>, argv: string[] = []): CollectorConfig => {
  const loaded = loadConfig({ env: { REPRISE_DATA_DIR: '/srv/reprise', ...env }, argv });
  if (loaded.help) throw new Error('unexpected --help');
  return loaded.config;
};

describe('sessions plugin configuration from REPRISE_* variables', () => {
  it('defaults to embedded SQLite in the data folder', () => {
    expect(sessionsPluginOptionsFromConfig(configFrom({}))).toEqual({
      index: { engine: 'sqlite', path: '/srv/reprise/index.sqlite' },
    });
  });

  it('takes PostgreSQL with a connection string, and a public URL for the setup link', () => {
    expect(
      sessionsPluginOptionsFromConfig(
        configFrom({
          REPRISE_INDEX: 'postgres',
          REPRISE_DATABASE_URL: 'postgres://reprise@db:5432/reprise',
          REPRISE_PUBLIC_URL: 'https://replay.example.com/',
        }),
      ),
    ).toEqual({
      index: { engine: 'postgres', connectionString: 'postgres://reprise@db:5432/reprise' },
      publicUrl: 'https://replay.example.com',
    });
  });

  it('takes the same settings as flags, like every other setting', () => {
    expect(
      sessionsPluginOptionsFromConfig(
        configFrom({}, ['--index', 'sqlite', '--index-path', '/var/index.db', '--public-url=https://r.example']),
      ),
    ).toEqual({
      index: { engine: 'sqlite', path: '/var/index.db' },
      publicUrl: 'https://r.example',
    });
  });

  it('says what is wrong with a bad value, in the same list as the other settings', () => {
    expect(() => configFrom({ REPRISE_INDEX: 'mysql', REPRISE_PORT: '99999' })).toThrow(
      /REPRISE_PORT \(--port\) = "99999"[\s\S]*\n {2}- REPRISE_INDEX \(--index\) = "mysql"/,
    );
    expect(() => configFrom({ REPRISE_INDEX: 'postgres' })).toThrow(/REPRISE_DATABASE_URL=postgres:\/\//);
    expect(() => configFrom({ REPRISE_DATABASE_URL: 'mysql://x' })).toThrow(/must start with postgres/);
    expect(() => configFrom({ REPRISE_PUBLIC_URL: 'replay.example.com' })).toThrow(
      /REPRISE_PUBLIC_URL .*must be a URL/,
    );
  });

  it('--help lists the index and public URL settings with their flags', () => {
    const help = helpText();
    for (const name of [
      'REPRISE_INDEX',
      '--index ',
      'REPRISE_INDEX_PATH',
      '--index-path',
      'REPRISE_DATABASE_URL',
      '--database-url',
      'REPRISE_PUBLIC_URL',
      '--public-url',
    ]) {
      expect(help).toContain(name);
    }
  });
});

describe('the replay origin', () => {
  it('is kept as an origin, beside the public URL the admin UI is reached at', () => {
    const config = configFrom({
      REPRISE_PUBLIC_URL: 'https://reprise.example.com',
      REPRISE_REPLAY_ORIGIN: 'https://replay.example.com/ignored/path',
    });
    expect(config.replayOrigin).toBe('https://replay.example.com');
  });

  it('is refused without a public URL, or when it is the public URL itself', () => {
    expect(() => configFrom({ REPRISE_REPLAY_ORIGIN: 'https://replay.example.com' })).toThrow(
      /REPRISE_REPLAY_ORIGIN needs REPRISE_PUBLIC_URL/,
    );
    expect(() =>
      configFrom({
        REPRISE_PUBLIC_URL: 'https://reprise.example.com/admin',
        REPRISE_REPLAY_ORIGIN: 'https://reprise.example.com',
      }),
    ).toThrow(/must differ from REPRISE_PUBLIC_URL/);
  });
});
