import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child processes (not worker threads): tests spawn supervisors and the
    // addon runs its own threads, neither of which belongs in a vitest worker.
    pool: 'forks',
    // Files run in parallel; tests inside a file run in order. Tests whose
    // verdict depends on timing (threads, sleeper, anything measured) must
    // hold on a loaded 2-core host: assert on counts and ordering, never on
    // absolute durations. The benchmark is `npm run bench`, not a test.
    fileParallelism: true,
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
