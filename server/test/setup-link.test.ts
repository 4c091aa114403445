/**
 * The first-start setup link, through the factory with the CLI's plugins on port 0: the link must
 * carry the port the collector actually bound, so it can be opened as printed.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { createCollector } from '../src/collector.js';
import { resolveConfig } from '../src/config.js';
import { defaultPlugins } from '../src/plugins.js';
import { tempDir } from '@reprise/test-support/process';

test('with port 0 the setup link printed to the terminal names the bound address and creates the first admin; the JSON log never holds it', async () => {
  const lines: Array<{ setupLink?: string; msg?: string }> = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as { setupLink?: string });
      done();
    },
  });
  const config = resolveConfig({ dataDir: tempDir('setup-link'), port: 0, logLevel: 'warn' });
  const collector = await createCollector(config, {
    plugins: defaultPlugins(config),
    logger: pino({ level: 'warn' }, capture),
  });
  const printed: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    printed.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const started = await collector.start().finally(() => {
      process.stderr.write = write;
    });
    const { url, port } = started;
    expect(port).toBeGreaterThan(0);
    const printedLink = /(http:\/\/\S+\/setup#token=\S+)/.exec(printed.join(''))?.[1];
    expect(printedLink, printed.join('')).toBeDefined();
    const link = new URL(printedLink!);
    expect(`${link.origin}${link.pathname}`).toBe(`${url}/setup`);
    // The structured log says where the link went, without it or its token.
    expect(lines.some((line) => line.msg?.includes('setup link'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(link.hash.replace('#token=', ''));
    expect(JSON.stringify(lines)).not.toContain('#token=');

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
