// Builds the page the API serves (shared/harness/build-web.ts calls this with Vite's JS API).
// For work on the page alone: `npx vite labs/00-baseline/web` with the API running; the dev
// server forwards the API's routes to API_URL.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  // The API serves the page from its own origin, maybe under a sub-path: every link stays relative.
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: {
    proxy: { '/upload': api, '/status': api, '/image': api },
  },
});
