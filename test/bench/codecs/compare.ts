// Compare codecs and batch windows on the recorded standard workload. Everything in Node: zlib is
// the same zlib Chromium's CompressionStream uses; fflate and the zstd wasm are the same code a
// worker would run.
import { constants, deflateRawSync, gzipSync, brotliCompressSync } from 'node:zlib';
import { Deflate as FflateDeflate, gzipSync as fflateGzip, deflateSync as fflateDeflateRaw } from 'fflate';
import { init as zstdInit, compress as zstdCompress } from '@bokuweb/zstd-wasm';
import { encodeBatch, PROTOCOL_VERSION, type Batch, type RecordedEvent } from '@reprise/protocol';

export interface Row {
  method: string;
  window: number;
  bytes: number;
  batches: number;
}

/** Group events into windows of `windowMs` by timestamp. */
export function windows(events: RecordedEvent[], windowMs: number): RecordedEvent[][] {
  const groups: RecordedEvent[][] = [];
  let current: RecordedEvent[] = [];
  let start = events[0]?.timestamp ?? 0;
  for (const event of events) {
    if (event.timestamp - start >= windowMs && current.length > 0) {
      groups.push(current);
      current = [];
      start = event.timestamp;
    }
    current.push(event);
  }
  if (current.length) groups.push(current);
  return groups;
}

export function toBatch(events: RecordedEvent[], seq: number): Batch {
  return {
    v: PROTOCOL_VERSION,
    project: 'bench',
    session: 'bench-session-0001',
    seq,
    tab: 'tab0001',
    start: events[0]!.timestamp,
    end: events.at(-1)!.timestamp,
    events,
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** One zlib stream over the whole session, sync-flushed at each batch end (cross-batch context). */
function streamedZlib(chunks: Uint8Array[]): number {
  let total = 0;
  const fflateStream = new FflateDeflate({ level: 6 }, (data) => {
    total += data.byteLength;
  });
  for (const chunk of chunks) {
    fflateStream.push(chunk, false);
    (fflateStream as unknown as { flush(): void }).flush();
  }
  fflateStream.push(new Uint8Array(0), true);
  return total;
}

export const WINDOWS_SECONDS = [5, 15, 30, 60] as const;

export async function compareCodecs(events: RecordedEvent[], realMsPerSimulatedSecond: number): Promise<Row[]> {
  await zstdInit();
  const rows: Row[] = [];
  for (const simulatedSeconds of WINDOWS_SECONDS) {
    const groups = windows(events, simulatedSeconds * realMsPerSimulatedSecond);
    const json = groups.map((group) => Buffer.from(JSON.stringify(group)));
    const plain = groups.map((group, seq) => encodeBatch(toBatch(group, seq), { transforms: false }));
    const packed = groups.map((group, seq) => encodeBatch(toBatch(group, seq)));
    const add = (method: string, sizes: number[] | number) =>
      rows.push({
        method,
        window: simulatedSeconds,
        bytes: typeof sizes === 'number' ? sizes : sum(sizes),
        batches: groups.length,
      });
    add(
      'json raw',
      json.map((b) => b.byteLength),
    );
    add(
      'json gzip-6 per batch',
      json.map((b) => gzipSync(b).byteLength),
    );
    add('json zlib stream across batches', streamedZlib(json));
    add(
      'json zstd-19 per batch',
      json.map((b) => zstdCompress(b, 19).byteLength),
    );
    add(
      'msgpack raw',
      plain.map((b) => b.byteLength),
    );
    add(
      'msgpack gzip-6 (CompressionStream)',
      plain.map((b) => gzipSync(b).byteLength),
    );
    add(
      'msgpack deflate-raw-6 (CompressionStream)',
      plain.map((b) => deflateRawSync(b).byteLength),
    );
    add(
      'msgpack zstd-19 (wasm)',
      plain.map((b) => zstdCompress(b, 19).byteLength),
    );
    add(
      'msgpack+transforms raw',
      packed.map((b) => b.byteLength),
    );
    add(
      'msgpack+transforms gzip-6 (CompressionStream)',
      packed.map((b) => gzipSync(b).byteLength),
    );
    add(
      'msgpack+transforms deflate-raw-6 (CompressionStream)',
      packed.map((b) => deflateRawSync(b).byteLength),
    );
    add(
      'msgpack+transforms deflate-raw-6 (fflate: CHOSEN)',
      packed.map((b) => fflateDeflateRaw(b, { level: 6 }).byteLength),
    );
    add(
      'msgpack+transforms deflate-raw-9 (fflate)',
      packed.map((b) => fflateDeflateRaw(b, { level: 9 }).byteLength),
    );
    add(
      'msgpack+transforms gzip-9 (fflate)',
      packed.map((b) => fflateGzip(b, { level: 9 }).byteLength),
    );
    add('msgpack+transforms fflate stream across batches', streamedZlib(packed));
    add(
      'msgpack+transforms zstd-3 (wasm)',
      packed.map((b) => zstdCompress(b, 3).byteLength),
    );
    add(
      'msgpack+transforms zstd-9 (wasm)',
      packed.map((b) => zstdCompress(b, 9).byteLength),
    );
    add(
      'msgpack+transforms zstd-19 (wasm, 80 KB gzip)',
      packed.map((b) => zstdCompress(b, 19).byteLength),
    );
    add(
      'msgpack+transforms brotli-9 (Node only)',
      packed.map((b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }).byteLength),
    );
  }
  return rows;
}
