import { defineRollupConfig } from '@reprise/rollup-config';

export default defineRollupConfig({
  input: { index: 'src/index.ts' },
  // window.Reprise for a plain <script> tag: rrweb and the protocol bundled in.
  iife: [{ input: 'src/index.ts', file: 'dist/reprise.iife.js', name: 'Reprise' }],
});
