import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{main,shared,server,renderer,preload,test}/**/*.test.ts'],
    environment: 'node',
    // Each file gets its own process: storage tests open real SQLite files and child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
