// Shared vitest settings: resolve workspace packages to their TypeScript sources, and write a
// JSON report per workspace that `npm test` sums into its closing "N passed, N failed" line.
import { join } from 'node:path';

/** @param {string} name report file name, e.g. the package's short name */
export function sharedTestConfig(name) {
  const resultsDir = process.env.REPRISE_TEST_RESULTS;
  return {
    resolve: { conditions: ['@reprise/source'] },
    // Tests in the node environment resolve through Vite's SSR options: sources there too.
    ssr: { resolve: { conditions: ['@reprise/source'] } },
    test: {
      reporters: resultsDir ? ['default', ['json', { outputFile: join(resultsDir, `${name}.json`) }]] : ['default'],
    },
  };
}
