import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';
import { defineRollupConfig, dropRrwebUnusedPostcss } from '@reprise/rollup-config';

/**
 * `import css from './x.css?inline'` becomes the stylesheet's text, minified (every byte of it
 * ships in the script tag's bundle), and the player's full stylesheet is also written to dist/,
 * as written, for <link> users.
 */
function inlineCss() {
  // Only this package's own stylesheets: a dependency's `?inline` import would stay external.
  let emitted = false;
  return {
    name: 'reprise-inline-css',
    async resolveId(source, importer) {
      if (!source.endsWith('.css?inline')) return null;
      const resolved = await this.resolve(source.slice(0, -'?inline'.length), importer, { skipSelf: true });
      return resolved ? `${resolved.id}?inline` : null;
    },
    async load(id) {
      if (!id.endsWith('.css?inline')) return null;
      const css = readFileSync(id.slice(0, -'?inline'.length), 'utf8');
      const { code } = await transform(css, { loader: 'css', minify: true });
      return `export default ${JSON.stringify(code)};`;
    },
    generateBundle() {
      if (emitted) return;
      emitted = true;
      const css = readFileSync(new URL('./src/player.css', import.meta.url), 'utf8');
      this.emitFile({ type: 'asset', fileName: 'reprise-player.css', source: css });
    },
  };
}

export default defineRollupConfig({
  input: { index: 'src/index.ts' },
  // One file per module: a host page that imports only `FramedPlayer` (a few kB) then leaves out the
  // Player and rrweb's replayer, which a single-file dist/index.js kept whole (about 95 kB gzip).
  preserveModules: true,
  plugins: [inlineCss(), dropRrwebUnusedPostcss()],
  iife: [
    { input: 'src/iife.ts', file: 'dist/reprise-player.iife.js', name: 'ReprisePlayer', target: 'es2022' },
    {
      input: 'src/framed-iife.ts',
      file: 'dist/reprise-framed-player.iife.js',
      name: 'RepriseFramedPlayer',
      target: 'es2022',
    },
  ],
});
