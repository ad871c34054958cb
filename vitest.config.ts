import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/ci-summary-reporter.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // vitest's default leaves one core free: on the 2-core CI machine that ran the files one at a time (147 s here);
    // two at a time take 106 s
    maxWorkers: 2,
  },
});
