/**
 * The JetStream log against a nats-server that wants credentials and TLS: the collector's
 * settings get it in (and nothing gets in without them), payloads are sealed before they are
 * published (no marker in the stream's files), and a message that does not authenticate (tampered,
 * or forged in clear) is refused, not handed to the writer.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRepriseEvent } from '@reprise/protocol';
import { ObjectDataKeyStore } from '../src/crypto/data-keys.js';
import { FileKeyring } from '../src/crypto/keyring.js';
import { LogCipher } from '../src/log/cipher.js';
import { NatsIngestLog, type NatsLogOptions } from '../src/log/nats-log.js';
import { packLogRecord } from '../src/log/record.js';
import type { LogEntry, LogRecord } from '../src/log/types.js';
import { FolderObjectStore } from '../src/store/folder-store.js';
import { startNats, tempDir } from '@reprise/test-support/process';
import { makeBatch, silentLogger } from './support/collector.js';

const MARKER = 'nats-marker-93be0c';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=reprise-test-ca',
  );
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl('req', ...ec, '-keyout', at(`${who}.key`), '-out', at(`${who}.csr`), '-subj', `/CN=reprise-${who}`);
    openssl(
      'x509',
      '-req',
      '-in',
      at(`${who}.csr`),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at(`${who}.pem`),
      '-days',
      '2',
      '-extfile',
      at(`${who}.ext`),
    );
  }
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}

const record = (seq: number): LogRecord => ({
  project: 'dev',
  receivedAt: Date.now(),
  digest: `d${seq}`,
  batch: makeBatch({ session: 'n', seq, extra: [createRepriseEvent('custom', { name: MARKER }, Date.now())] }),
});

async function readUntil(log: NatsIngestLog, count: number, timeoutMs = 30_000): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  const deadline = Date.now() + timeoutMs;
  while (entries.length < count && Date.now() < deadline) entries.push(...(await log.read(count, 500)));
  return entries;
}

describe('NATS with user/password and TLS (client certificate verified)', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let certs: ReturnType<typeof makeCertificates>;
  let cipher: LogCipher;
  let keysDir: string;
  const logs: NatsIngestLog[] = [];
  const auth = { user: 'reprise', pass: 'n4ts-pass-word' };

  beforeAll(async () => {
    const dir = tempDir('nats-tls');
    keysDir = dir;
    certs = makeCertificates(dir);
    nats = await startNats({
      config: [
        `authorization { user: "${auth.user}", password: "${auth.pass}" }`,
        `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.ca}", verify: true, timeout: 5 }`,
      ].join('\n'),
    });
    const { keyring } = await FileKeyring.load(join(dir, 'keyring.json'));
    cipher = new LogCipher(keyring, new ObjectDataKeyStore(new FolderObjectStore(join(dir, 'keys'))));
  }, 60_000);
  afterAll(async () => {
    for (const log of logs) await log.close();
    await nats?.stop();
  });

  const tls = () => ({ caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey });
  const makeLog = (options: Partial<NatsLogOptions>) => {
    const log = new NatsIngestLog({ servers: nats.url, stream: 'SECURE', logger: silentLogger, ...options });
    logs.push(log);
    return log;
  };

  test('without credentials, or without a client certificate, the log does not open', async () => {
    await expect(makeLog({ tls: tls() }).open()).rejects.toMatchObject({ code: 'nats_unavailable' });
    await expect(makeLog({ auth: { user: auth.user, pass: 'wrong' }, tls: tls() }).open()).rejects.toMatchObject({
      code: 'nats_unavailable',
    });
    await expect(makeLog({ auth, tls: { caFile: certs.ca } }).open()).rejects.toMatchObject({
      code: 'nats_unavailable',
    });
  }, 60_000);

  test('with them: batches go through sealed (no marker in the stream files), and read back', async () => {
    const log = makeLog({ auth, tls: tls(), cipher });
    await log.open();
    for (let seq = 0; seq < 3; seq++) expect(await log.append(record(seq))).toBe('appended');
    // Still in the stream (not acked): its files hold the messages, sealed.
    const stored = filesUnder(nats.storeDir);
    expect(stored.some((file) => readFileSync(file).includes('reprise.ingest.dev'))).toBe(true);
    for (const file of stored) expect(readFileSync(file).includes(MARKER), file).toBe(false);
    const entries = await readUntil(log, 3);
    expect(entries.map((entry) => entry.record.batch.seq).sort()).toEqual([0, 1, 2]);
    expect(JSON.stringify(entries[0]!.record.batch)).toContain(MARKER);
    await log.release(entries);
  }, 60_000);

  test('a tampered sealed message and a message forged in clear are refused; the good one after them is read', async () => {
    const log = makeLog({ auth, tls: tls(), cipher });
    await log.open();
    const key = await cipher.create('test-forger');
    const sealed = cipher.seal(packLogRecord(record(10)), key);
    sealed[sealed.byteLength - 20] = sealed[sealed.byteLength - 20]! ^ 0x01;
    const raw = await connect({ servers: nats.url, user: auth.user, pass: auth.pass, tls: tls() });
    const js = raw.jetstream();
    await js.publish('reprise.ingest.dev', sealed, { msgID: 'tampered' });
    await js.publish('reprise.ingest.dev', packLogRecord(record(11)), { msgID: 'forged' });
    await raw.close();
    expect(await log.append(record(12))).toBe('appended');
    const entries = await readUntil(log, 1);
    expect(entries.map((entry) => entry.record.batch.seq)).toEqual([12]);
    await log.release(entries);
    // Nothing else comes: the two refused messages were terminated, not redelivered.
    expect(await log.read(10, 1_500)).toEqual([]);
  }, 60_000);

  test('a record whose log key cannot be fetched (key store down) is handed back and read once the store answers', async () => {
    // Another node sealed it under its own key; this node has not cached that key yet.
    const writer = makeLog({ auth, tls: tls(), cipher, stream: 'KEYS_DOWN', subject: 'keys-down' });
    await writer.open();
    expect(await writer.append(record(20))).toBe('appended');
    let storeDown = true;
    const shared = new ObjectDataKeyStore(new FolderObjectStore(join(keysDir, 'keys')));
    const flaky = Object.create(shared) as ObjectDataKeyStore;
    flaky.get = (...args) =>
      storeDown ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4569')) : shared.get(...args);
    const { keyring } = await FileKeyring.load(join(keysDir, 'keyring.json'));
    const reader = makeLog({
      auth,
      tls: tls(),
      cipher: new LogCipher(keyring, flaky),
      stream: 'KEYS_DOWN',
      subject: 'keys-down',
    });
    await reader.open();
    expect(await reader.read(10, 1_500)).toEqual([]);
    storeDown = false;
    const entries = await readUntil(reader, 1);
    expect(entries.map((entry) => entry.record.batch.seq)).toEqual([20]);
    await reader.release(entries);
  }, 60_000);

  test('a pull that ends with an error keeps the messages it brought', async () => {
    const log = makeLog({ auth, tls: tls(), stream: 'PULL_ERROR', subject: 'pull-error', consumer: 'pull-error' });
    await log.open();
    expect(await log.append(record(30))).toBe('appended');
    const reading = log.read(10, 20_000);
    // The message arrives at once; the pull then waits for more until the consumer goes away.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const raw = await connect({ servers: nats.url, user: auth.user, pass: auth.pass, tls: tls() });
    await (await raw.jetstreamManager()).consumers.delete('PULL_ERROR', 'pull-error');
    await raw.close();
    const entries = await reading;
    expect(entries.map((entry) => entry.record.batch.seq)).toEqual([30]);
  }, 60_000);

  test('log keys of past days are shredded once no message in the stream can be sealed under them', async () => {
    const stream = { auth, tls: tls(), cipher, stream: 'PRUNE', subject: 'prune', consumer: 'prune' };
    const old = 'nats-PRUNE-20200101-0a0b0c0d';
    const otherStream = 'nats-OTHER-20200101-0a0b0c0d';
    const fileLog = '0a0b0c0d0a0b0c0d-wal-00000001';
    for (const name of [old, otherStream, fileLog]) await cipher.create(name);
    const writer = makeLog(stream);
    await writer.open();
    // Opening prunes at once: the old day's key goes, the other stream's and the file log's stay.
    const deadline = Date.now() + 20_000;
    while ((await cipher.names()).has(old) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const names = await cipher.names();
    expect(names.has(old)).toBe(false);
    expect(names.has(otherStream) && names.has(fileLog)).toBe(true);

    expect(await writer.append(record(40))).toBe('appended');
    const today = [...(await cipher.names())].filter((name) => name.startsWith('nats-PRUNE-'));
    expect(today).toHaveLength(1);
    const inThreeDays = Date.now() + 3 * 86_400_000;
    // Another node: today's message is still in the stream, so today's key stays however late it is.
    const reader = makeLog(stream);
    await reader.open();
    expect(await reader.pruneKeys(inThreeDays)).toEqual([]);
    const entries = await readUntil(reader, 1);
    expect(entries.map((entry) => entry.record.batch.seq)).toEqual([40]);
    await reader.release(entries);
    // The node sealing with it keeps it even then; the stream empty, another node shreds it.
    expect(await writer.pruneKeys(inThreeDays)).toEqual([]);
    let shredded: string[] = [];
    while (shredded.length === 0 && Date.now() < deadline + 20_000) {
      shredded = await reader.pruneKeys(inThreeDays);
      if (shredded.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(shredded).toEqual(today);
    expect([...(await cipher.names())].filter((name) => name.startsWith('nats-PRUNE-'))).toEqual([]);
    expect((await cipher.names()).has(otherStream)).toBe(true);
  }, 90_000);
});

describe('NATS with a token', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  const logs: NatsIngestLog[] = [];
  beforeAll(async () => {
    nats = await startNats({ config: 'authorization { token: "t0ken-for-reprise" }' });
  }, 60_000);
  afterAll(async () => {
    for (const log of logs) await log.close();
    await nats?.stop();
  });

  test('opens with the token, not without', async () => {
    const without = new NatsIngestLog({ servers: nats.url, stream: 'TOKEN', logger: silentLogger });
    logs.push(without);
    await expect(without.open()).rejects.toMatchObject({ code: 'nats_unavailable' });
    const log = new NatsIngestLog({
      servers: nats.url,
      stream: 'TOKEN',
      logger: silentLogger,
      auth: { token: 't0ken-for-reprise' },
    });
    logs.push(log);
    await log.open();
    expect(await log.append(record(0))).toBe('appended');
    const entries = await readUntil(log, 1);
    expect(entries.map((entry) => entry.record.batch.seq)).toEqual([0]);
    await log.release(entries);
  }, 60_000);
});
