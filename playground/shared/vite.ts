import { defineConfig, type Plugin, type PluginOption, type UserConfig } from 'vite';

/**
 * The Vite settings of the React and Vue playgrounds, which differ only in their framework's plugin, its
 * name (in the page title) and the port. Each app's index.html holds only its mount point and entry.
 */
export function playgroundViteConfig(framework: PluginOption, name: string, port: number): UserConfig {
  return defineConfig({
    plugins: [framework, playgroundHead(name)],
    // The fake API's users.json, one copy for the three playgrounds (./app.ts).
    publicDir: '../shared/public',
    server: { host: '127.0.0.1', port },
    preview: { host: '127.0.0.1' },
    // The framework, its router and the recorder in one chunk is fine for a playground.
    build: { sourcemap: true, chunkSizeWarningLimit: 1024 },
  });
}

/** The head every playground page shares, added to the app's index.html in dev and in the build. */
function playgroundHead(name: string): Plugin {
  return {
    name: 'reprise-playground-head',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
      {
        tag: 'meta',
        attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' },
        injectTo: 'head-prepend',
      },
      { tag: 'title', children: `Reprise playground (${name})`, injectTo: 'head-prepend' },
    ],
  };
}
