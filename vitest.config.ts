import { defineConfig } from 'vitest/config';

/**
 * One `npm test` runs everything: fast unit tests (test/unit, mirroring src/) and end-to-end tests
 * (test/e2e) that run the built CLI with real ffmpeg, real sockets and a real browser on fixtures made
 * by fixtures/make-fixtures.js (generated once by the global setup).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // End-to-end files run ffmpeg on both cores; running two such files at once only slows both.
    fileParallelism: false,
  },
});
