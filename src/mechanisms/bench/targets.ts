/**
 * What `cr-shim bench` compares: no filter, the filter alone, each of
 * cr-shim's mechanisms through `cr-shim run`, and two other user-space
 * kernels' ways of intercepting calls, run on the same workload.
 *
 * proot -k (Debian's proot 5.1) fakes only uname's release, by ptrace; it runs
 * only statically linked programs on this kernel, so it runs loop-mt-static.
 * gVisor's runsc (Debian's package, ptrace platform) is a whole kernel in user
 * space: it answers every call itself, so all four scenarios are its own
 * answers (the refused call is ENOSYS because gVisor lacks it too).
 */
import { closeSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { LAUNCHER_PATH, launchUnderFilter } from '../../native/launcher.js';
import { runCaptured, type Finished } from '../../bench/spawn.js';
import { MECHANISMS } from '../registry.js';
import type { MechScenario } from './scenarios.js';

export interface BenchContext {
  kernel: string;
  cliPath: string;
  /** test/programs/bin/loop-mt and its static build. */
  loopPath: string;
  loopStaticPath: string;
  /** The persona's filter with notify turned into allow (bpf-only). */
  bpfOnlyFilter: Buffer;
}

export interface BenchTarget {
  id: string;
  title: string;
  note: string;
  /** Why it cannot run here, or undefined. */
  unavailable(ctx: BenchContext): string | undefined;
  /** One run of loop-mt with these arguments (CALL N THREADS). */
  run(s: MechScenario, loopArgs: (call: string) => string[], ctx: BenchContext): Promise<Finished>;
}

function collect(stream: Readable | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  const parts: Buffer[] = [];
  stream.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve) => stream.once('close', () => resolve(Buffer.concat(parts).toString('utf8'))));
}

/** Is `cmd` on PATH? */
function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function crShim(id: 'notify' | 'ptrace' | 'sigsys', note: string): BenchTarget {
  return {
    id,
    title: `cr-shim ${id}`,
    note,
    unavailable: (ctx) =>
      MECHANISMS[id] === undefined ? `mechanism ${id} is not part of this build` : existsSync(ctx.cliPath) ? undefined : `${ctx.cliPath} missing (npm run build)`,
    run: (s, args, ctx) => runCaptured([process.execPath, ctx.cliPath, 'run', '--quiet', '--mechanism', id, '--kernel', ctx.kernel, '--', ctx.loopPath, ...args(s.call)]),
  };
}

export const BENCH_TARGETS: readonly BenchTarget[] = [
  {
    id: 'native',
    title: 'native',
    note: 'no filter',
    unavailable: () => undefined,
    run: (s, args, ctx) => runCaptured([ctx.loopPath, ...args(s.nativeCall)]),
  },
  {
    id: 'bpf-only',
    title: 'BPF only',
    note: 'the persona\'s filter with notify turned into allow, no supervisor: what the BPF verdicts cost',
    unavailable: () => (existsSync(LAUNCHER_PATH) ? undefined : `${LAUNCHER_PATH} is not built (npm install)`),
    async run(s, args, ctx) {
      const t0 = process.hrtime.bigint();
      const { child } = await launchUnderFilter(ctx.loopPath, args(s.call), ctx.bpfOnlyFilter, {
        stdio: ['ignore', 'pipe', 'pipe'],
        // No supervisor: drop our copy of the listener; the launcher drops its own before exec.
        beforeExec: (fd) => closeSync(fd),
      });
      const [stdout, stderr, [status, signal]] = await Promise.all([
        collect(child.stdout),
        collect(child.stderr),
        new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, sig) => resolve([c, sig]))),
      ]);
      return { status, signal, stdout, stderr, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 };
    },
  },
  crShim('notify', 'seccomp user notification (the default): native loop in C, TypeScript handlers'),
  crShim('ptrace', 'SECCOMP_RET_TRACE and a ptrace tracer thread running the TypeScript handlers'),
  crShim('sigsys', 'SECCOMP_RET_TRAP and a SIGSYS handler preloaded into the program'),
  {
    id: 'proot',
    title: 'proot -k',
    note: 'Debian\'s proot 5.1 with -k (uname release only), by ptrace; static workload',
    unavailable: (ctx) => (!onPath('proot') ? 'proot is not installed (apt-get install proot)' : existsSync(ctx.loopStaticPath) ? undefined : `${ctx.loopStaticPath} missing (make -C test/programs)`),
    // proot cannot refuse the persona's calls: time the kernel's own ENOSYS through it.
    run: (s, args, ctx) => runCaptured(['proot', '-k', ctx.kernel, ctx.loopStaticPath, ...args(s.id === 'refused' ? s.nativeCall : s.call)]),
  },
  {
    id: 'runsc',
    title: 'gVisor runsc',
    note: 'Debian\'s gVisor (runsc do, ptrace platform, no network): every call answered by its user-space kernel',
    unavailable: () => (onPath('runsc') ? undefined : 'runsc is not installed (apt-get install runsc)'),
    run: (s, args, ctx) => runCaptured(['runsc', '--platform=ptrace', '--network=none', 'do', ctx.loopPath, ...args(s.call)]),
  },
];
