import { defineRollupConfig } from '@reprise/rollup-config';

export default defineRollupConfig({ input: { index: 'src/index.ts' } });
