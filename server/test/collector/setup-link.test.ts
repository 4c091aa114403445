/**
 * The first-start setup link, through the factory with the CLI's plugins on port 0: the link must
 * carry the port the collector actually bound, so it can be opened as printed.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { createCollector } from '../../src/collector.js';
import { resolveConfig } from '../../src/config.js';
import { defaultPlugins } from '../../src/plugins.js';
import { tempDir } from './helpers.js';

test('with port 0 the logged setup link names the bound address and creates the first admin', async () => {
  const lines: Array<{ setupLink?: string; msg?: string }> = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as { setupLink?: string });
      done();
    },
  });
  const config = resolveConfig({ dataDir: tempDir('setup-link'), port: 0, logLevel: 'warn' });
  const collector = await createCollector(config, { plugins: defaultPlugins(config), logger: pino({ level: 'warn' }, capture) });
  try {
    const { url, port } = await collector.start();
    expect(port).toBeGreaterThan(0);
    const logged = lines.find((line) => line.setupLink);
    expect(logged, JSON.stringify(lines)).toBeDefined();
    const link = new URL(logged!.setupLink!);
    expect(`${link.origin}${link.pathname}`).toBe(`${url}/setup`);
    expect(logged!.msg).toContain(logged!.setupLink);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const token = link.hash.replace('#token=', '');
    const created = await fetch(new URL('/v1/auth/setup', link), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: link.origin },
      body: JSON.stringify({ token, username: 'root', password: 'a long enough password' }),
    });
    expect(created.status, await created.text()).toBe(201);
  } finally {
    await collector.stop();
  }
});
