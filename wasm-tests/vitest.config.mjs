import { defineConfig } from 'vitest/config';

// Two projects: `wasm` loads build/wasm/qplay.js in Node; `browser` drives Debian's Chromium
// through the built page (build/web) with playwright-core.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'wasm', include: ['wasm/**/*.test.mjs'], environment: 'node', testTimeout: 120000 } },
      { test: { name: 'browser', include: ['browser/**/*.test.mjs'], environment: 'node', testTimeout: 120000, hookTimeout: 120000 } },
    ],
  },
});
