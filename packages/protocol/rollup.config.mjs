import { defineRollupConfig } from '@reprise/rollup-config';

const configs = defineRollupConfig({
  input: { index: 'src/index.ts', page: 'src/page.ts', capture: 'src/capture.ts' },
});

// ES output one file per module: an app's bundler splits chunks by module, so a recorder page
// that only frames JSON (json-frame.ts) must not share one module with the msgpack codec, or the
// codec and msgpackr ride along in the page's first chunk (the engine's lazy chunk needs them).
const [library] = configs;
library.output = library.output.map((output) =>
  output.format === 'es' ? { ...output, preserveModules: true, preserveModulesRoot: 'src' } : output,
);

export default configs;
