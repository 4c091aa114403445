// `npm test`'s app budgets (issue 15's goals), measured as the weight bench measures them
// (measure.mjs): an app bundling createRecorder starts recording with at most 30 kB gzip, the
// React adapter adds at most 2 kB to it, and @reprise/core/lazy's first chunk stays a few kB;
// and an app bundling the player from npm ships about what the player's script tag does.
// Needs the packages built (npm test builds them first).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { APP_GOALS, gz, measureApp } from './measure.mjs';

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

// An app bundling the player from npm gets its own replayer copy without rrweb's unused second
// postcss copy, as the script tag does: the same code, within what esbuild's minifier adds over
// terser's (about 3 %). The copy back would add about 25 %.
const PLAYER_NPM_OVER_SCRIPT_TAG = 1.1;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const playerApp = await build({
  stdin: { contents: "import { Player } from '@reprise/player'; window.Player = Player;", resolveDir: root },
  bundle: true,
  minify: true,
  format: 'esm',
  write: false,
  logLevel: 'error',
});
const playerNpm = gz(playerApp.outputFiles[0].contents);
const playerScriptTag = gz(readFileSync(new URL('packages/player/dist/reprise-player.iife.js', `file://${root}`)));
const playerRatio = playerNpm / playerScriptTag;
const playerFits = playerRatio <= PLAYER_NPM_OVER_SCRIPT_TAG;
if (!playerFits) over++;
console.log(
  `${playerFits ? 'ok  ' : 'OVER'} app with Player from npm over the player's script tag: ${kb(playerNpm)} / ${kb(playerScriptTag)} = ${playerRatio.toFixed(3)} of ${PLAYER_NPM_OVER_SCRIPT_TAG}`,
);

if (over > 0) {
  console.error(
    `[budget] ${over} app budget(s) exceeded. What an app's first chunk imports from @reprise/core must stay small: keep modules that only the full recorder needs out of the files the early capture imports (see packages/core/src/loader/split.ts), then run npm run bench -- weight. The player from npm must bundle its replayer through tools/rollup-config/rrweb-replay.mjs, as the script tag does.`,
  );
  process.exit(1);
}
