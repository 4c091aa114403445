import { defineRollupConfig } from '@reprise/rollup-config';
import { inlineWorker } from './worker/rollup-plugin.mjs';

const configs = defineRollupConfig({
  // lazy: createLazyRecorder(), which import()s the index entry on start.
  input: { index: 'src/index.ts', lazy: 'src/loader/lazy.ts' },
  iife: [
    // window.Reprise for a plain <script> tag: rrweb and the protocol bundled in.
    { input: 'src/index.ts', file: 'dist/reprise.iife.js', name: 'Reprise' },
    // A few KB that define window.Reprise at once and fetch reprise.iife.js after the page's load
    // event; the entry assigns window.Reprise itself (so no `name`).
    { input: 'src/loader/script.ts', file: 'dist/reprise.loader.js' },
  ],
  // delivery worker: inlined as a string for a Blob URL, and written to dist/reprise.worker.js.
  plugins: [inlineWorker()],
});

// @reprise/protocol is side-effect free, but its sources (reached through the @reprise/source
// condition) lose the package's `sideEffects: false`; without this the validator's top-level zod
// schemas, which only the collector needs, would ride along into the script-tag build.
for (const config of configs) {
  config.treeshake = { moduleSideEffects: (id) => !/[\\/]packages[\\/]protocol[\\/]src[\\/]/.test(id) };
}

export default configs;
