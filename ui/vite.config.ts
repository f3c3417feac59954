/**
 * The admin SPA's build (ui/build.mjs runs it; see docs/ui.md). Hashed assets under /assets/, so
 * the gateway can serve them as immutable; every view is its own chunk (lazy in src/routes.ts).
 */
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

export default defineConfig({
  root: new URL('./admin', import.meta.url).pathname,
  base: '/',
  plugins: [solid()],
  logLevel: 'warn',
  build: {
    target: 'es2022',
    outDir: new URL('./dist', import.meta.url).pathname,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The gateway compresses nothing at request time: ui/build.mjs writes .br and .gz next to each file.
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
    // A build is a few seconds; the per-plugin timing report is noise in install and gateway logs.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
