/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The backend (`bookstore serve`) serves dist/ at `/` with SPA fallback.
// In dev, proxy the API and the dev issuer to a locally running backend.
const backend = process.env.BOOKSTORE_URL ?? 'http://127.0.0.1:8080';
const proxied = ['/ecom', '/inven', '/analytics', '/csrf', '/auth', '/healthz', '/readyz'];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    manifest: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: backend, changeOrigin: false }])),
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
    restoreMocks: true,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
