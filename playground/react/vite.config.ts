import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1' },
  // React, React Router and the recorder in one chunk is fine for a playground.
  build: { sourcemap: true, chunkSizeWarningLimit: 1024 },
});
