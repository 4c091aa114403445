/**
 * JetStream's own dedupe is keyed by Nats-Msg-Id: the log publishes each record with its batch id
 * (split parts included), so the same batch appended twice, by one node or two, is stored once.
 */
import { connect } from 'nats';
import { afterAll, expect, test } from 'vitest';
import { NatsIngestLog } from '../src/log/nats-log.js';
import { batchId } from '../src/log/types.js';
import { startNats } from '@reprise/test-support/process';
import { makeBatch, silentLogger } from './support/collector.js';

let nats: Awaited<ReturnType<typeof startNats>> | undefined;
const logs: NatsIngestLog[] = [];
afterAll(async () => {
  for (const log of logs) await log.close();
  await nats?.stop();
});

test('each record is published with its batch id as Nats-Msg-Id; a second append of it is a duplicate', async () => {
  nats = await startNats();
  const a = new NatsIngestLog({ servers: nats.url, stream: 'MSGID', logger: silentLogger });
  const b = new NatsIngestLog({ servers: nats.url, stream: 'MSGID', logger: silentLogger });
  logs.push(a, b);
  await a.open();
  await b.open();
  const whole = makeBatch({ session: 'msgid', seq: 7 });
  const half = { ...makeBatch({ session: 'msgid', seq: 8 }), part: '01' };
  expect(await a.append({ project: 'dev', receivedAt: Date.now(), digest: 'd7', batch: whole })).toBe('appended');
  expect(await a.append({ project: 'dev', receivedAt: Date.now(), digest: 'd8', batch: half })).toBe('appended');
  // The same batch through another node: JetStream recognises the id.
  expect(await b.append({ project: 'dev', receivedAt: Date.now(), digest: 'd7', batch: whole })).toBe('duplicate');

  const connection = await connect({ servers: nats.url });
  try {
    const manager = await connection.jetstreamManager();
    expect((await manager.streams.info('MSGID')).state.messages).toBe(2);
    const first = await manager.streams.getMessage('MSGID', { seq: 1 });
    const second = await manager.streams.getMessage('MSGID', { seq: 2 });
    expect(first.header.get('Nats-Msg-Id')).toBe(batchId({ ...whole, project: 'dev' }));
    expect(second.header.get('Nats-Msg-Id')).toBe('dev/msgid/tab1/8.01');
  } finally {
    await connection.close();
  }
}, 60_000);
