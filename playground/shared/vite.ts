import { defineConfig, type PluginOption, type UserConfig } from 'vite';

/** The Vite settings of the React and Vue playgrounds, which differ only in their framework's plugin and port. */
export function playgroundViteConfig(framework: PluginOption, port: number): UserConfig {
  return defineConfig({
    plugins: [framework],
    // The fake API's users.json, one copy for the three playgrounds (./app.ts).
    publicDir: '../shared/public',
    server: { host: '127.0.0.1', port },
    preview: { host: '127.0.0.1' },
    // The framework, its router and the recorder in one chunk is fine for a playground.
    build: { sourcemap: true, chunkSizeWarningLimit: 1024 },
  });
}
