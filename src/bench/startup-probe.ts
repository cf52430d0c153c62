/**
 * `node dist/bench/startup-probe.js KERNEL`: where the start-up of
 * `cr-shim run --kernel KERNEL -- /bin/true` goes, phase by phase, in a
 * process that does what the run command does, in the same order, with a
 * clock between the steps. Prints one JSON line: { "<phase id>": ms, ... }.
 *
 * Project modules are imported dynamically, so that loading them is a timed
 * phase of its own. The steps mirror src/supervisor/session.ts prepareSession
 * (what a session-cache miss does) and the cache's hit (src/supervisor/run-cache.ts),
 * then src/supervisor/supervise.ts from the compiled run, as `run` does.
 */
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const PROGRAM = '/bin/true';

async function main(kernel: string): Promise<Record<string, number>> {
  const out: Record<string, number> = { bootstrap: performance.nodeTiming.bootstrapComplete };
  let t = performance.now();
  const lap = (id: string): void => {
    const now = performance.now();
    out[id] = now - t;
    t = now;
  };

  await import('../cli/commands/run.js');
  // The notify addon, which run loads for its first set-up call (src/native/libc.ts nativeSys): counted
  // here, not in whichever of the launcher and supervise phases happens to come first.
  (await import('../native/addon.js')).loadAddon();
  lap('imports');
  const { assertHostSupported } = await import('../host/features.js');
  const { TableRegistry } = await import('../tables/registry.js');
  const { probeHost } = await import('../host/probe.js');
  const { resolvePersona } = await import('../persona/resolve.js');
  const { planFor } = await import('../plan/for-persona.js');
  const { compilePlan } = await import('../bpf/compile.js');
  const { encode } = await import('../bpf/encode.js');
  const { HOST_ARCHES } = await import('../arch.js');
  const { prepareSession } = await import('../supervisor/session.js');
  const { compileRun } = await import('../supervisor/compiled-run.js');
  const { superviseCompiled } = await import('../supervisor/supervise.js');
  const { launchUnderFilter } = await import('../native/launcher.js');
  const cache = await import('../supervisor/run-cache.js');
  const { tableFilesRead } = await import('../tables/read-log.js');
  t = performance.now();

  assertHostSupported();
  lap('hostCheck');
  const registry = new TableRegistry();
  const persona = resolvePersona(kernel, registry);
  lap('persona');
  const host = probeHost({ registry });
  lap('hostProbe');
  for (const arch of HOST_ARCHES) {
    registry.get(arch, persona.mainline);
    registry.resolve(arch, host.mainline);
  }
  lap('tables');
  // As prepareSession for run: no explanation comments, which only `cr-shim filter` prints.
  const filter = encode(compilePlan(planFor(persona, registry, host), { comments: false }).insns);
  lap('plan');
  probeHost({ registry, cacheFile: null });
  lap('hostProbeCold');

  // The session cache as a hit finds it: the compiled run written by a miss, in a private directory.
  // As `run` as root: identity files bind-mounted, io_uring refused.
  const view = { identityMounted: true, ioUring: false };
  const run = compileRun(prepareSession(kernel, { view }), { native: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-shim-startup-probe-'));
  try {
    const request = { kernel, view, behaviourOptions: [] };
    await cache.openRunCache(request, dir, 'startup-probe')?.write(run, tableFilesRead());
    t = performance.now();
    const hit = cache.openRunCache(request, dir, 'startup-probe')?.read();
    lap('sessionCache');
    if (hit === undefined) throw new Error('the session cache missed an entry just written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  t = performance.now();
  const { child } = await launchUnderFilter(PROGRAM, [], filter, { stdio: ['ignore', 'ignore', 'ignore'], beforeExec: (fd) => closeSync(fd) });
  await child.exited;
  lap('launcher');
  await superviseCompiled(run, { argv: [PROGRAM] });
  lap('supervise');
  return out;
}

const kernel = process.argv[2];
if (kernel === undefined) {
  process.stderr.write('usage: startup-probe KERNEL\n');
  process.exitCode = 2;
} else {
  main(kernel).then(
    (phases) => {
      process.stdout.write(`${JSON.stringify(phases)}\n`);
      // Like the CLI: exit at once rather than wait for the worker's thread teardown.
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`startup-probe: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
