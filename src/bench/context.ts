/**
 * What a bench run sets up once: the persona's session, the two numbers of
 * the refused scenario, the BPF-only filters, the workload binaries and a
 * private host-probe cache for the cr-shim runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareSession } from '../supervisor/session.js';
import { ShimError } from '../errors.js';
import { buildOutput } from '../native/addon.js';
import { benchFilters } from './filters.js';
import { checkUnimplemented, NATIVE_UNIMPLEMENTED, pickRefusedCall, type RefusedCall } from './refused-call.js';
import type { BenchContext } from './types.js';

/** The package root, from src/bench/ or dist/bench/. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Build test/programs/bin/loop-mt and its static build if missing or stale. Throws ShimError with make's output. */
export function buildWorkload(): { loopPath: string; loopStaticPath: string } {
  const dir = path.join(ROOT, 'test', 'programs');
  const make = spawnSync('make', ['-C', dir, 'bin/loop-mt', 'bin/loop-mt-static'], { encoding: 'utf8' });
  if (make.error !== undefined || make.status !== 0) {
    throw new ShimError('make -C test/programs bin/loop-mt', `${make.error?.message ?? `status ${String(make.status)}`}: ${make.stderr.trim()}`, {
      cause: make.error,
      hint: 'install a C compiler and static glibc (scripts/setup.sh)',
    });
  }
  return { loopPath: path.join(dir, 'bin', 'loop-mt'), loopStaticPath: path.join(dir, 'bin', 'loop-mt-static') };
}

export interface Setup {
  ctx: BenchContext;
  refused: RefusedCall;
  unimplemented: RefusedCall;
  /** Remove the private cache directory. */
  dispose(): void;
}

/**
 * Everything the targets need for persona `kernel`. The host-probe cache is
 * private to the run: the shared one keeps a single entry, which runs from
 * another checkout (tests, CI) rewrite, and a cold probe (about 0.1 s) would
 * land in whichever sample came next.
 */
export function setUp(kernel: string): Setup {
  const session = prepareSession(kernel);
  const refused = pickRefusedCall(session.plan);
  const unimplemented = checkUnimplemented(session.registry.resolve('x86_64', session.host.mainline).table, NATIVE_UNIMPLEMENTED);
  const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-bench-'));
  const ctx: BenchContext = {
    kernel,
    ...buildWorkload(),
    cliPath: path.join(ROOT, 'bin', 'cr-shim'),
    cSupervisorPath: buildOutput('bench-supervisor'),
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    filters: benchFilters(session.plan),
  };
  return { ctx, refused, unimplemented, dispose: () => fs.rmSync(cacheHome, { recursive: true, force: true }) };
}
