import { defineRollupConfig } from '@reprise/rollup-config';

// Every chunk holds hooks or context, so every chunk is client code for React Server Components.
// A banner, because esbuild and rollup drop module-level directives found in sources.
const useClientBanner = { name: 'use-client-banner', banner: () => "'use client';" };

export default defineRollupConfig({
  input: { index: 'src/index.ts', router: 'src/router.tsx' },
  plugins: [useClientBanner],
});
