#!/usr/bin/env node
// Runs the built collector (dist/). `npm run build -w @reprise/collector` produces it.
// The ingest log's fsyncs, the writer's gzip and the folder store share libuv's thread pool; at
// the default 4 threads a burst of segment compression delays acknowledgements. Set before the
// pool first starts, hence before importing anything that could touch it.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('../dist/cli.js');
main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
