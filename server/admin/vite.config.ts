import { fileURLToPath } from 'node:url';
import { dropRrwebUnusedPostcss } from '@reprise/rollup-config';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The admin SPA, built to `server/dist/admin` and served by the collector at `/` (src/admin-ui.ts).
 * `@reprise/source` resolves the workspace's own packages (the player, the protocol) to their
 * TypeScript sources, as everywhere else in the monorepo, so the bundle always matches the tree.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // The replay frame bundles rrweb's replayer: without its unused second postcss copy (see the plugin).
  plugins: [react(), dropRrwebUnusedPostcss()],
  resolve: { conditions: ['@reprise/source', 'module', 'browser', 'development|production'] },
  build: {
    outDir: fileURLToPath(new URL('../dist/admin', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      // The session page's player runs in its own sandboxed page (src/replay-frame.ts).
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        frame: fileURLToPath(new URL('./replay-frame.html', import.meta.url)),
      },
    },
  },
  server: {
    // `vite --config admin/vite.config.ts` next to a collector on :4318 for hot-reload work on the UI.
    proxy: { '/v1': 'http://127.0.0.1:4318' },
  },
});
