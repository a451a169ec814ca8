import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The console's components (renderer/) use the automatic JSX runtime, as its bundle does.
  esbuild: { jsx: 'automatic' },
  test: {
    include: ['main/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real-model tests each open onnxruntime sessions; on 2 cores parallel files only contend.
    fileParallelism: false,
    pool: 'forks',
    // Stops throwaway PostgreSQL clusters left behind by test processes that died (main/testing/postgres.ts).
    globalSetup: ['main/testing/global-setup.ts'],
  },
});
