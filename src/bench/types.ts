/**
 * The benchmark's shapes: one scenario table (what a program does) × one
 * target list (how it runs: natively, under a filter alone, under a C
 * supervisor, under each of cr-shim's mechanisms, under proot and gVisor) ×
 * thread counts, run by one runner into cells. Both views read the same
 * cells: `cr-shim bench` prints them as a matrix, `cr-shim bench --goals`
 * (`npm run bench`) also judges issue 2's goals on them and regenerates
 * docs/PERFORMANCE.md.
 */
import type { ContainerDowntime } from './containers.js';
import type { OpenHeavyReport } from './open-heavy.js';

/**
 * test/programs/bin/loop-mt making one call N times in T threads; the value is
 * wall ns per call, every thread's calls counted.
 */
export interface CallScenario {
  kind: 'calls';
  id: string;
  title: string;
  /** loop-mt's first argument under a persona. */
  call: string;
  /** The same answer without one (natively the refused number must be one the kernel never implemented). */
  nativeCall: string;
  /** The errno name every run's last call must end with ('' for success): proof that the intended path was timed. */
  expect: string;
  /** Calls per run relative to --calls: cheap calls need more to be timed well. */
  weight: number;
  /** In `cr-shim bench`'s default set (`--goals` runs every scenario). */
  matrix: boolean;
  note: string;
}

/** Start a trivial program and wait for it; the value is wall ms from spawn to exit. */
export interface StartupScenario {
  kind: 'startup';
  id: string;
  title: string;
  /** The program and its arguments, e.g. ['/bin/true']. */
  argv: string[];
  /** Runs per round (each one a sample). */
  perRound: number;
  matrix: boolean;
  note: string;
}

export type Scenario = CallScenario | StartupScenario;

export type Unit = 'ns' | 'ms';

export function unitOf(s: Scenario): Unit {
  return s.kind === 'calls' ? 'ns' : 'ms';
}

/** One run as the runner asks for it. */
export interface RunSpec {
  scenario: Scenario;
  threads: number;
  /** Calls of all threads together (calls scenarios). */
  calls: number;
}

/** One measured run. */
export interface Sample {
  /** Wall time: ns per call, every thread's calls counted (calls scenarios), or ms (startup). */
  value: number;
  /** ns one thread waited per call (calls scenarios run by loop-mt). */
  threadNs?: number;
  /**
   * CPU time of the looping process, ns per call (user + sys, as bash's `time`
   * reports it for the loop alone). Time spent waiting for a CPU is not in it,
   * so on a contended host it is the sharper measure of what a call costs in
   * that process; it misses whatever a supervisor spends on its behalf.
   */
  cpu?: number;
  /** The supervisor's peak RSS, KiB, when the target has a supervisor that reports it. */
  peakRssKiB?: number;
}

/** What every target may use: paths and the per-run setup computed once (context.ts). */
export interface BenchContext {
  /** The persona every filtered target presents, e.g. "5.10". */
  kernel: string;
  /** test/programs/bin/loop-mt and its static build (for proot). */
  loopPath: string;
  loopStaticPath: string;
  /** bin/cr-shim, the command a user types (the native front, which execs the Node.js CLI for what it does not answer). */
  cliPath: string;
  /** build/Release/bench-supervisor. */
  cSupervisorPath: string;
  /** Environment for every run (a private host-probe cache, see context.ts). */
  env: NodeJS.ProcessEnv;
  /** Raw filters for the BPF-only targets, keyed by target id. */
  filters: Record<string, Buffer>;
}

/** One way of running the workload: a column of the matrix. */
export interface Target {
  id: string;
  title: string;
  /** One line: what runs, and what it isolates. */
  note: string;
  /** In `cr-shim bench`'s default set; the others are variants, run by `--goals` or when named with --target. */
  matrix: boolean;
  /** Why this target cannot run on this machine, or undefined when it can. */
  unavailable(ctx: BenchContext): string | undefined;
  supports(s: Scenario, threads: number): boolean;
  /** One run. Throws ShimError naming the target and scenario when the run fails or answers wrongly. */
  run(r: RunSpec, ctx: BenchContext): Promise<Sample>;
}

/** Order statistics of a sample set (see stats.ts). */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  /** (q3 - q1) / median: the interquartile range relative to the median, 0 when n < 2. */
  relIqr: number;
}

/** All samples of one (scenario, target, threads) cell, in run order (round-major). */
export interface Cell {
  scenario: string;
  target: string;
  threads: number;
  unit: Unit;
  samples: Sample[];
  summary: Summary;
  /** Over samples' cpu, when every sample has one. */
  cpuSummary?: Summary;
}

/** A goal from issue 2, as data: `target` vs `baseline` on `scenario`, in one thread. */
export interface Goal {
  id: string;
  title: string;
  /** A scenario id, or '*' for every scenario (peakRss). */
  scenario: string;
  target: string;
  baseline: string;
  /**
   * delta: median of paired (target - baseline) differences ≤ limit;
   * ratio: median of paired target / baseline ratios ≤ limit;
   * peakRss: largest peak RSS over all of the target's runs ≤ limit (KiB);
   * report: the paired delta, with no limit.
   */
  compare: 'delta' | 'ratio' | 'peakRss' | 'report';
  /** Which time delta and ratio compare: wall (default) or the loop's CPU time. */
  metric?: 'wall' | 'cpu';
  /** In the scenario's unit for delta, a plain number for ratio, KiB for peakRss. */
  limit?: number;
  /** How the limit reads in the issue, e.g. "≤ 0.05 µs". */
  wording: string;
}

export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'N/A';

export interface GoalResult {
  goal: Goal;
  verdict: Verdict;
  /** Medians of the two cells (absent for N/A). */
  measured?: number;
  baseline?: number;
  /** The compared quantity: paired delta, paired ratio, or peak KiB. */
  value?: number;
  /** Range of the per-pair values: how far noise moves the verdict. */
  low?: number;
  high?: number;
  /** True when every pair falls on the verdict's side of the limit. */
  clear?: boolean;
  /**
   * The same comparison between the two fastest runs (min vs min). Noise on a
   * shared VM only ever adds time, so this is the least disturbed estimate.
   */
  best?: number;
  /** Why N/A. */
  reason?: string;
}

/** One start-up phase, measured inside a cr-shim-like process (see startup-probe.ts). */
export interface PhaseSummary {
  id: string;
  title: string;
  summary: Summary;
}

export interface HostInfo {
  date: string;
  kernel: string;
  cpuModel: string;
  cpus: number;
  node: string;
  /** os.loadavg() [1, 5, 15 min] at the start and the end of the run. */
  loadStart: number[];
  loadEnd: number[];
  /**
   * /proc/pressure/cpu "some" avg60 at the start and the end: the share of the
   * last minute in which some runnable task waited for a CPU (percent).
   * Absent without PSI.
   */
  cpuPressure?: { start: number; end: number };
}

/** The JSON a run writes (--json), which the table, the chart and docs/PERFORMANCE.md are rendered from. */
export interface BenchReport {
  format: 2;
  tool: 'cr-shim bench';
  host: HostInfo;
  config: {
    kernel: string;
    /** Calls per run of weight 1, all threads together, and the wall time a run should take. */
    calls: number;
    budgetMs: number;
    threads: number[];
    rounds: number;
    /** The persona-refused syscall the refused scenario times. */
    refused: { nr: number; name: string };
    wallSeconds: number;
    /** Said about the run by whoever ran it (--note), printed in the document. */
    note?: string;
  };
  scenarios: Scenario[];
  targets: { id: string; title: string; note: string; unavailable?: string }[];
  cells: Cell[];
  /** Issue 2's goals judged on the cells (--goals). */
  goals?: GoalResult[];
  startup?: { phases: PhaseSummary[]; runs: number };
  /** Issue 11: open-heavy workload and trapped opens (open-heavy.ts). */
  openHeavy?: OpenHeavyReport;
  /** Container downtime (containers.ts), or why it was not measured. */
  containers?: ContainerDowntime | { unavailable: string };
  /** Checkpoint downtime, plain CRIU vs cr-shim on the same process and image (downtime.ts). */
  downtime?: DowntimeReport;
}

/** One downtime comparison: ms per run for plain CRIU and for cr-shim, alternated. */
export interface DowntimeRow {
  /** restore-served: `cr-shim restore` as a thin client of a running `cr-shim serve`, which restores. */
  id: 'dump' | 'restore' | 'restore-served';
  title: string;
  criu: Summary;
  crShim: Summary;
  /** Median over pairs of (cr-shim − criu), ms. */
  delta: number;
  /** The goal: cr-shim within this many ms of plain CRIU. */
  limitMs: number;
}

export interface DowntimeReport {
  runs: number;
  criu: string;
  rows: DowntimeRow[];
  /** Where the restore rows' time went ($CR_SHIM_PHASES traces, downtime-phases.ts); absent in older runs. */
  phases?: { row: 'restore' | 'restore-served'; phases: DowntimePhase[] }[];
}

/** One phase of a traced restore: its start after the command's start, and its duration, ms over the runs. */
export interface DowntimePhase {
  /** The process that ran it: cli, serve (src/phase-trace.ts), or program for the program's next instruction. */
  proc: string;
  phase: string;
  at: Summary;
  took: Summary;
}
