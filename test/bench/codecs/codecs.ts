import { SIMULATED_SECONDS } from '../workload/workload.js';
import { recordWorkload } from '../workload/record.js';
import { benchLine, printTable } from '../lib.js';
import { compareCodecs, WINDOWS_SECONDS } from './compare.js';

export async function runCodecsBench(): Promise<void> {
  const recorded = await recordWorkload({ fresh: process.env.REPRISE_BENCH_FRESH === '1' });
  const rows = await compareCodecs(recorded.events, recorded.durationMs / SIMULATED_SECONDS);
  const methods = [...new Set(rows.map((row) => row.method))];
  const size = (method: string, window: number) =>
    rows.find((row) => row.method === method && row.window === window)!.bytes;
  printTable(
    `Bytes for the standard workload (${recorded.events.length} rrweb events) by batch window, in simulated seconds`,
    ['method', ...WINDOWS_SECONDS.map((window) => `${window} s`)],
    methods.map((method) => [method, ...WINDOWS_SECONDS.map((window) => size(method, window))]),
  );
  const chosen = size('msgpack+transforms deflate-raw-6 (fflate: CHOSEN)', 30);
  benchLine('codecs', {
    chosen,
    zstd19: size('msgpack+transforms zstd-19 (wasm, 80 KB gzip)', 30),
    cross_batch: size('msgpack+transforms fflate stream across batches', 30),
    json_gzip_5s: size('json gzip-6 per batch', 5),
  });
}
