import { defineConfig } from 'vitest/config';

/**
 * Two projects, told apart by file name:
 * - unit (`*.unit.test.ts`): pure code, no root, no kernel feature, no CRIU, no
 *   program started; `npm run test:unit`. test/structure/unit-tests.unit.test.ts
 *   holds these files to that.
 * - system (every other `*.test.ts`): real kernel, real CRIU, real processes.
 * `npm test` runs both.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files run in parallel; tests inside a file run in order. Tests whose
    // verdict depends on timing (threads, sleeper, anything measured) must
    // hold on a loaded 2-core host: assert on counts and ordering, never on
    // absolute durations, and wait for a condition with a bounded poll
    // (vi.waitFor), never sleep and then assert. The benchmark is
    // `npm run bench`, not a test.
    fileParallelism: true,
    // The pools are shared by the projects, so their options live here (vitest
    // reads a pool's worker options from the root config only).
    poolOptions: {
      // unit: pure modules, one shared module graph per thread instead of a
      // fresh worker per file (seconds instead of a minute and more).
      threads: { isolate: false, maxThreads: 2, minThreads: 1 },
      forks: { maxForks: 2, minForks: 1 },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.unit.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          pool: 'threads',
          isolate: false,
        },
      },
      {
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.unit.test.ts', '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Child processes (not worker threads): tests spawn supervisors and the
          // addon runs its own threads, neither of which belongs in a vitest worker.
          pool: 'forks',
        },
      },
    ],
  },
});
