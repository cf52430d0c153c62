/**
 * vitest globalSetup: build the test programs once per run. A failed build
 * fails the run with make's output; tests are never skipped for it. The
 * addon/CLI check is per file (test/helpers/require-build.ts).
 */
import { spawnSync } from 'node:child_process';

import { PROGRAMS_SRC_DIR } from './helpers/programs.js';

export default function setup(): void {
  const make = spawnSync('make', ['-C', PROGRAMS_SRC_DIR], { encoding: 'utf8' });
  if (make.error !== undefined) {
    throw new Error(`make -C ${PROGRAMS_SRC_DIR}: ${make.error.message}`, { cause: make.error });
  }
  if (make.status !== 0) {
    throw new Error(`make -C ${PROGRAMS_SRC_DIR} failed (status ${String(make.status)}):\n${make.stdout}${make.stderr}`);
  }
}
