import { defineRollupConfig } from '@reprise/rollup-config';
import { bundledDelivery } from './worker/rollup-plugin.mjs';

const configs = defineRollupConfig({
  // lazy: createLazyRecorder(), which import()s the index entry on start.
  input: { index: 'src/index.ts', lazy: 'src/loader/lazy.ts', internal: 'src/internal.ts' },
  iife: [
    // window.Reprise for a plain <script> tag: rrweb and what starts it (recording begins at once)...
    { input: 'src/script.ts', file: 'dist/reprise.iife.js', name: 'Reprise' },
    // ...and the rest of the recorder, which it fetches from beside itself at start(). One rrweb
    // per page: this build reads the first file's.
    {
      input: 'src/script-recorder.ts',
      file: 'dist/reprise.recorder.js',
      name: '__repriseRecorder',
      globals: { '@rrweb/record': '__repriseRrweb' },
    },
    // A few KB that define window.Reprise at once and fetch reprise.iife.js after the page's load
    // event; the entry assigns window.Reprise itself (so no `name`).
    { input: 'src/loader/script.ts', file: 'dist/reprise.loader.js' },
  ],
});

// The delivery worker (dist/reprise.worker.js) is reached differently by each output
// (worker/rollup-plugin.mjs), so the ES and CommonJS outputs get a build each.
const [library, ...rest] = configs;
const [esOutput, cjsOutput] = library.output;
const withFormat = (config, format) => ({ ...config, plugins: [bundledDelivery(format), ...config.plugins] });
const builds = [
  withFormat(
    {
      ...library,
      output: { ...esOutput, preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
    },
    'es',
  ),
  withFormat({ ...library, output: cjsOutput }, 'cjs'),
  ...rest.map((config) => (config.output?.format === 'iife' ? withFormat(config, 'iife') : config)),
];

// @reprise/protocol is side-effect free, but its sources (reached through the @reprise/source
// condition) lose the package's `sideEffects: false`; without this the validator's top-level zod
// schemas, which only the collector needs, would ride along into the script-tag build.
for (const config of builds) {
  config.treeshake = { moduleSideEffects: (id) => !/[\\/]packages[\\/]protocol[\\/]src[\\/]/.test(id) };
}

export default builds;
