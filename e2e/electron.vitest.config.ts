import { defineConfig } from 'vitest/config';

/** The desktop app's smoke test; run by `npm run test:electron` (which provides Xvfb). */
export default defineConfig({
  test: {
    include: ['e2e/**/*.electron.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
