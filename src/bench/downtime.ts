/**
 * Checkpoint downtime (issue 9, point 9), plain CRIU against cr-shim, alternated, on one
 * process and one image. The subject is test/programs/stamp under `cr-shim run`, which
 * overwrites a file every millisecond with CLOCK_REALTIME and the longest gap between two
 * of its writes:
 *   dump:    the tree's frozen time. `criu dump --leave-running` and `cr-shim dump -- --leave-running`
 *            of the running subject; the longest gap the subject saw across the dump.
 *   restore: from the start of the command to the program's next instruction. `criu restore -d`
 *            and `cr-shim restore` of the same image (cr-shim's dump, converted once by
 *            `cr-shim convert` so that plain CRIU can restore it: no filter without listener,
 *            no parent-death signal); the first stamp after the restore minus the start time.
 *            `cr-shim restore --no-serve` supervises in its own process; in the restore-served
 *            row `cr-shim restore` is a thin client of a private `cr-shim serve` started for the
 *            benchmark (bin/cr-shim's native front, in C: no Node.js starts on the client side), which checks, restores, injects and supervises (its session for the
 *            release and its criu are cached by its first restore, as a long-running service's
 *            would be by the first of many).
 * Every cr-shim command runs as a user types it, bin/cr-shim (the front, which execs the Node.js
 * CLI for all but the served restore). Both clocks are CLOCK_REALTIME (performance.timeOrigin + now() here).
 * The cr-shim restores run with $CR_SHIM_PHASES (src/phase-trace.ts), the service too: each run's
 * trace says which phase took what (downtime-phases.ts). Writing it costs each phase one append.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { locateCriu } from '../criu/binary.js';
import { ShimError } from '../errors.js';
import { ROOT } from './context.js';
import { expectSuccess, runCaptured } from './spawn.js';
import { paired, median, summarize } from './stats.js';
import type { DowntimeReport, DowntimeRow } from './types.js';
import { parsePhases } from '../phase-trace.js';
import { phaseSummaries, type TracedRun } from './downtime-phases.js';

/** The target: cr-shim within 0.25 s of plain CRIU. */
export const DOWNTIME_LIMIT_MS = 250;
const POLL_MS = 2;
const WAIT_MS = 60_000;

const nowMs = (): number => performance.timeOrigin + performance.now();

interface Stamp {
  atMs: number;
  maxGapMs: number;
}

function readStamp(file: string): Stamp | undefined {
  const m = /^(\d{20}) (\d{20})\n/.exec(fs.readFileSync(file, 'utf8'));
  return m ? { atMs: Number(BigInt(m[1]!) / 1000n) / 1000, maxGapMs: Number(BigInt(m[2]!) / 1000n) / 1000 } : undefined;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new ShimError('bench downtime', `${what}: not within ${timeoutMs} ms`, { code: 'ETIMEDOUT' });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const alive = (pid: number): boolean => {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** The subject's stamp after `sinceMs` (it ran an instruction after that moment). */
function stampAfter(file: string, sinceMs: number): () => Stamp | undefined {
  return () => {
    const s = readStamp(file);
    return s !== undefined && s.atMs > sinceMs ? s : undefined;
  };
}

function row(id: DowntimeRow['id'], title: string, criu: number[], crShim: number[]): DowntimeRow {
  return { id, title, criu: summarize(criu), crShim: summarize(crShim), delta: median(paired(crShim, criu, (a, b) => a - b)), limitMs: DOWNTIME_LIMIT_MS };
}

/**
 * `runs` alternations of each comparison. Throws ShimError when CRIU or the subject fails;
 * every process it starts is killed before it returns.
 */
export async function measureDowntime(kernel: string, cliPath: string, runs: number, env: NodeJS.ProcessEnv): Promise<DowntimeReport> {
  const criu = await locateCriu();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-downtime-'));
  const stampFile = path.join(work, 'stamp');
  const stampPath = path.join(ROOT, 'test', 'programs', 'bin', 'stamp');
  if (!fs.existsSync(stampPath)) throw new ShimError('bench downtime', `${stampPath} is not built`, { code: 'ENOENT', hint: 'make -C test/programs' });
  const started: ChildProcess[] = [];
  const pids = new Set<number>();
  const cli = (...args: string[]): string[] => [cliPath, ...args];
  try {
    // The subject, under the shim, stdio to a file (CRIU dumps no pipe to us).
    const out = path.join(work, 'subject.out');
    const fd = fs.openSync(out, 'w');
    const shim = spawn(cliPath, ['run', '--quiet', '--dumpable', '--kernel', kernel, '--', stampPath, stampFile], { stdio: ['ignore', fd, fd], env, detached: true });
    fs.closeSync(fd);
    started.push(shim);
    const pid = await until('the subject to start', () => {
      const m = /^pid=(\d+)\nready=1$/m.exec(fs.readFileSync(out, 'utf8'));
      return m ? Number(m[1]) : undefined;
    });
    pids.add(pid);

    const dumpCriu: number[] = [];
    const dumpShim: number[] = [];
    for (let i = 0; i < runs; i++) {
      for (const which of ['criu', 'cr-shim'] as const) {
        const dir = fs.mkdtempSync(path.join(work, 'dump-'));
        fs.writeFileSync(`${stampFile}.reset`, '');
        await until('the subject to take the reset', () => (fs.existsSync(`${stampFile}.reset`) ? undefined : true));
        const argv =
          which === 'criu'
            ? [criu.path, 'dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '--leave-running']
            : cli('dump', String(pid), dir, '--', '--leave-running');
        expectSuccess(`bench downtime: ${which} dump`, await runCaptured(argv, env));
        const done = nowMs();
        const s = await until('the subject to run after the dump', stampAfter(stampFile, done));
        (which === 'criu' ? dumpCriu : dumpShim).push(s.maxGapMs);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    // One image for every restore: cr-shim's dump (which kills the subject), converted.
    const img = path.join(work, 'img');
    const conv = path.join(work, 'converted');
    expectSuccess('bench downtime: cr-shim dump', await runCaptured(cli('dump', String(pid), img), env));
    await until('the subject to be gone after the dump', () => (alive(pid) ? undefined : true));
    await new Promise<void>((r) => (shim.exitCode !== null || shim.signalCode !== null ? r() : shim.once('exit', () => r())));
    expectSuccess('bench downtime: cr-shim convert', await runCaptured(cli('convert', img, conv), env));

    // The service the restore-served runs ask to restore: its socket in a root-only directory.
    const socket = path.join(work, 'serve.sock');
    const phaseFile = path.join(work, 'phases.jsonl');
    const traced = { ...env, CR_SHIM_PHASES: phaseFile };
    const serve = spawn(cliPath, ['serve', '--quiet', '--socket', socket], { stdio: 'ignore', env: traced });
    started.push(serve);
    await until('cr-shim serve to listen', () => (fs.existsSync(socket) ? true : undefined));

    const restoreCriu: number[] = [];
    const restoreShim: number[] = [];
    const restoreServed: number[] = [];
    const traces: Record<'cr-shim' | 'cr-shim-served', TracedRun[]> = { 'cr-shim': [], 'cr-shim-served': [] };
    for (let i = 0; i < runs; i++) {
      for (const which of ['criu', 'cr-shim', 'cr-shim-served'] as const) {
        await until(`PID ${pid} to be free`, () => (fs.existsSync(`/proc/${pid}`) ? undefined : true));
        fs.rmSync(phaseFile, { force: true });
        const t0 = nowMs();
        let child: ChildProcess | undefined;
        if (which === 'criu') {
          expectSuccess('bench downtime: criu restore', await runCaptured([criu.path, 'restore', '-D', conv, '-o', path.join(work, 'restore.log'), '-d'], env));
        } else {
          const handOver = which === 'cr-shim' ? ['--no-serve'] : ['--socket', socket];
          child = spawn(cliPath, ['restore', '--quiet', ...handOver, conv], { stdio: 'ignore', env: traced });
          started.push(child);
        }
        const s = await until(`the program to run after ${which} restore`, stampAfter(stampFile, t0));
        ({ criu: restoreCriu, 'cr-shim': restoreShim, 'cr-shim-served': restoreServed })[which].push(s.atMs - t0);
        kill(pid);
        if (child !== undefined) await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
        if (which !== 'criu') traces[which].push({ t0, resumedAt: s.atMs, records: fs.existsSync(phaseFile) ? parsePhases(fs.readFileSync(phaseFile, 'utf8')) : [] });
      }
    }
    return {
      runs,
      criu: `${criu.version} (${criu.path})`,
      rows: [
        row('dump', 'dump: the tree frozen (`criu dump --leave-running` vs `cr-shim dump -- --leave-running`, the longest gap the program saw)', dumpCriu, dumpShim),
        row('restore', "restore: from the command's start to the program's next instruction (`criu restore -d` vs `cr-shim restore --no-serve`, same image)", restoreCriu, restoreShim),
        row('restore-served', 'restore by a running `cr-shim serve`, the native front a thin client in C (`criu restore -d` vs `cr-shim restore --socket S`, same image)', restoreCriu, restoreServed),
      ],
      phases: [
        { row: 'restore', phases: phaseSummaries(traces['cr-shim']) },
        { row: 'restore-served', phases: phaseSummaries(traces['cr-shim-served']) },
      ],
    };
  } finally {
    for (const p of pids) kill(p);
    for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) kill(c.pid);
    fs.rmSync(work, { recursive: true, force: true });
  }
}
