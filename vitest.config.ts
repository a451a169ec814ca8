import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Real-model tests each open onnxruntime sessions; on 2 cores parallel files only contend.
    fileParallelism: false,
    pool: 'forks',
  },
});
