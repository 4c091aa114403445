import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { sessionsPluginOptionsFromEnv } from '../src/sessions-api/plugin.js';

describe('sessions plugin configuration from REPRISE_* variables', () => {
  const config = resolveConfig({ dataDir: '/srv/reprise' });

  it('defaults to embedded SQLite in the data folder', () => {
    expect(sessionsPluginOptionsFromEnv(config, {})).toEqual({ index: { engine: 'sqlite', path: '/srv/reprise/index.sqlite' } });
  });

  it('takes PostgreSQL with a connection string, and a public URL for the setup link', () => {
    expect(
      sessionsPluginOptionsFromEnv(config, {
        REPRISE_INDEX: 'postgres',
        REPRISE_DATABASE_URL: 'postgres://reprise@db:5432/reprise',
        REPRISE_PUBLIC_URL: 'https://replay.example.com/',
      }),
    ).toEqual({ index: { engine: 'postgres', connectionString: 'postgres://reprise@db:5432/reprise' }, publicUrl: 'https://replay.example.com' });
  });

  it('says what is wrong with a bad value', () => {
    expect(() => sessionsPluginOptionsFromEnv(config, { REPRISE_INDEX: 'mysql' })).toThrow(/REPRISE_INDEX/);
    expect(() => sessionsPluginOptionsFromEnv(config, { REPRISE_INDEX: 'postgres' })).toThrow(/REPRISE_DATABASE_URL=postgres:\/\//);
    expect(() => sessionsPluginOptionsFromEnv(config, { REPRISE_DATABASE_URL: 'mysql://x' })).toThrow(/must start with postgres/);
  });
});
