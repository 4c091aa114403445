// `npm test`'s app budgets (issue 15's goals), measured as the weight bench measures them
// (measure.mjs): an app bundling createRecorder starts recording with at most 30 kB gzip, the
// React adapter adds at most 2 kB to it, and @reprise/core/lazy's first chunk stays a few kB.
// Needs the packages built (npm test builds them first).
import { APP_GOALS, measureApp } from './measure.mjs';

const kb = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
const esm = await measureApp('esm-app');
const react = await measureApp('react-app');
const lazy = await measureApp('lazy-app');
const checks = [
  ['app with createRecorder, initial chunk (esbuild, all dependencies)', esm.initial, APP_GOALS.esmInitial],
  ['RecorderProvider over createRecorder, initial chunk', react.initial - esm.initial, APP_GOALS.reactOverEsm],
  ['app with @reprise/core/lazy, initial chunk', lazy.initial, APP_GOALS.lazyInitial],
];
let over = 0;
for (const [what, bytes, limit] of checks) {
  const fits = bytes <= limit;
  if (!fits) over++;
  console.log(`${fits ? 'ok  ' : 'OVER'} ${what}: ${kb(bytes)} of ${kb(limit)}`);
}
if (over > 0) {
  console.error(
    `[budget] ${over} app budget(s) exceeded. What an app's first chunk imports from @reprise/core must stay small: keep modules that only the full recorder needs out of the files the early capture imports (see packages/core/src/loader/split.ts), then run npm run bench -- weight.`,
  );
  process.exit(1);
}
