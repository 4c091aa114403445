// The collector as the CLI runs it, from its TypeScript sources (run under tsx with the
// @reprise/source condition, as scripts/bench.mjs does).
import { main } from '../../../server/src/cli.ts';

main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error);
  process.exit(1);
});
