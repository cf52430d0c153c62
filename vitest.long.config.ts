import { defineConfig } from 'vitest/config';

// The long suite's vitest files (scripts/long-tests.sh, npm run test:containers): real
// container engines, minutes each, one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.long.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 660_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
