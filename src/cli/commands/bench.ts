/**
 * `cr-shim bench [--json FILE] [--svg FILE] [--threads 1,2,8] [--calls N] ...`:
 * the cost per call of each interception mechanism (and native, BPF-only,
 * proot -k, gVisor) on four kinds of call, in 1, 2 and 8 threads. A table on
 * stdout; the run as JSON and a chart as SVG on request. docs/PERFORMANCE.md
 * records a run and what it shows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { ShimError, UsageError } from '../../errors.js';
import { prepareSession } from '../../supervisor/session.js';
import { compilePlan } from '../../bpf/compile.js';
import { encode } from '../../bpf/encode.js';
import { withoutNotify } from '../../bench/filters.js';
import { checkUnimplemented, NATIVE_UNIMPLEMENTED, pickRefusedCall } from '../../bench/refused-call.js';
import { mechScenarios } from '../../mechanisms/bench/scenarios.js';
import { BENCH_TARGETS, type BenchContext } from '../../mechanisms/bench/targets.js';
import { runBench } from '../../mechanisms/bench/run-bench.js';
import type { MechBenchReport } from '../../mechanisms/bench/report.js';
import { formatTable } from '../../mechanisms/bench/table.js';
import { renderSvg } from '../../mechanisms/bench/svg.js';
import { writeStdout } from '../stdout.js';

/** The package root, from src/cli/commands/ or dist/cli/commands/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const benchSpec: CommandSpec = {
  name: 'bench',
  usage: 'cr-shim bench [--kernel RELEASE] [--threads 1,2,8] [--calls N] [--rounds N] [--budget-ms MS] [--json FILE] [--svg FILE]',
  summary: 'Time a call left alone, refused, faked and translated under each interception mechanism, native, BPF-only, proot and gVisor.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'persona of the filtered targets (default 5.10)' },
    { name: 'threads', value: 'LIST', help: 'thread counts, comma-separated (default 1,2,8)' },
    { name: 'calls', value: 'N', help: 'calls per run of the costly scenarios, all threads together; cheap ones make 10 times more (default 20000)' },
    { name: 'rounds', value: 'N', help: 'interleaved rounds: samples per cell (default 3)' },
    { name: 'budget-ms', value: 'MS', help: 'wall time a run should take: slow targets make fewer calls, never under 500 (default 250)' },
    { name: 'target', value: 'ID', repeat: true, help: `only these targets (${BENCH_TARGETS.map((t) => t.id).join(', ')})` },
    { name: 'scenario', value: 'ID', repeat: true, help: 'only these scenarios (left-alone, refused, fake, translated)' },
    { name: 'json', value: 'FILE', help: 'write the run as JSON to FILE' },
    { name: 'svg', value: 'FILE', help: 'write a grouped bar chart (log scale) to FILE' },
    { name: 'quiet', help: 'no progress on stderr' },
  ],
};

function count(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('bench', `--${name} ${v}: not a positive integer`, { code: 'EUSAGE', hint: `usage: ${benchSpec.usage}` });
  return n;
}

function threadList(v: string | undefined): number[] {
  if (v === undefined) return [1, 2, 8];
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) {
    throw new UsageError('bench', `--threads ${v}: not a list of thread counts 1..64`, { code: 'EUSAGE', hint: 'e.g. --threads 1,2,8' });
  }
  return list;
}

function only<T extends { id: string }>(v: unknown, name: string, all: readonly T[]): T[] {
  if (!Array.isArray(v)) return [...all];
  for (const id of v as string[]) {
    if (!all.some((x) => x.id === id)) throw new UsageError('bench', `--${name} ${id}: unknown`, { code: 'EUSAGE', hint: `one of ${all.map((x) => x.id).join(', ')}` });
  }
  return all.filter((x) => (v as string[]).includes(x.id));
}

/** Build the workload (dynamic and static) if missing or stale. */
function buildWorkload(): { loopPath: string; loopStaticPath: string } {
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

export async function benchCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('bench', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${benchSpec.usage}` });
  const kernel = str(p.options.kernel) ?? '5.10';
  const threads = threadList(str(p.options.threads));
  const calls = count(str(p.options.calls), 'calls', 20_000);
  const rounds = count(str(p.options.rounds), 'rounds', 3);
  const budgetMs = count(str(p.options['budget-ms']), 'budget-ms', 250);
  const quiet = flag(p.options.quiet);

  const session = prepareSession(kernel);
  const refused = pickRefusedCall(session.plan);
  const unimplemented = checkUnimplemented(session.registry.resolve('x86_64', session.host.mainline).table, NATIVE_UNIMPLEMENTED);
  const scenarios = only(p.options.scenario, 'scenario', mechScenarios(refused, unimplemented));
  const ctx: BenchContext = {
    kernel,
    cliPath: path.join(ROOT, 'bin', 'cr-shim.js'),
    ...buildWorkload(),
    bpfOnlyFilter: encode(compilePlan(withoutNotify(session.plan)).insns),
  };
  const chosen = only(p.options.target, 'target', BENCH_TARGETS);
  const targets = chosen.map((t) => ({ t, unavailable: t.unavailable(ctx) }));
  const runnable = targets.filter((x) => x.unavailable === undefined).map((x) => x.t);

  const start = new Date();
  const loadStart = os.loadavg();
  const t0 = process.hrtime.bigint();
  const cells = await runBench({ scenarios, targets: runnable, threads, rounds, calls, budgetMs }, ctx, (done, total, what) => {
    if (!quiet) process.stderr.write(`cr-shim bench: [${done}/${total}] ${what}\n`);
  });
  const report: MechBenchReport = {
    format: 1,
    tool: 'cr-shim bench',
    host: {
      date: start.toISOString(), kernel: os.release(), cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', cpus: os.cpus().length,
      node: process.version, loadStart, loadEnd: os.loadavg(),
    },
    config: { kernel, calls, budgetMs, threads, rounds, wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9 },
    scenarios,
    targets: targets.map(({ t, unavailable }) => ({ id: t.id, title: t.title, note: t.note, ...(unavailable === undefined ? {} : { unavailable }) })),
    cells,
  };
  await writeStdout(formatTable(report));
  const json = str(p.options.json);
  if (json) fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  const svg = str(p.options.svg);
  if (svg) fs.writeFileSync(svg, renderSvg(report));
  return 0;
}
