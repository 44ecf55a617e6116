// Vite build of the window (renderer/) into dist/renderer/. One build serves both hosts: Electron
// loads it from app://diskferry/, the web host serves it and injects its WebSocket client before the
// window's scripts (main/web-host/server.ts), so the renderer never knows which host it has.
// Relative asset URLs, no inline scripts or styles (the CSP in renderer/index.html forbids them).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: resolve(root, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1', strictPort: false },
});
