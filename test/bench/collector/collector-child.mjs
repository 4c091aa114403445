// The collector as the CLI runs it, from its TypeScript sources (run under tsx with the
// @reprise/source condition, as scripts/bench.mjs does). Same thread-pool size as bin/reprise-collector.js.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('../../../server/src/cli.ts');
main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error);
  process.exit(1);
});
