/**
 * The benchmark's shapes: scenarios (what a program does) × mechanisms (how it
 * is supervised). A mechanism says which scenarios it can run and turns one
 * run into one Sample; the runner interleaves them; targets compare two
 * mechanisms on one scenario. New mechanisms (ptrace, SIGSYS, proot, gVisor)
 * and scenario parameters (threads) slot in without touching the runner.
 */
import type { OpenHeavyReport } from './open-heavy.js';

/** What one run of a per-call scenario makes the loop program do (its first argument). */
import type { ContainerDowntime } from './containers.js';

export type LoopCall = 'getppid' | 'uname' | `nr=${number}`;

/** A program making one syscall N times in a loop (test/programs/loop.c); the value is ns per call. */
export interface CallScenario {
  kind: 'calls';
  id: string;
  title: string;
  /** Calls per run; one run is one process. */
  calls: number;
  /** The call under a filter, and with none (native may need a different number to get the same answer). */
  filtered: LoopCall;
  unfiltered: LoopCall;
  /** The errno name every run's last call must end with ('' for success): a check that we timed the right path. */
  expect: string;
  /** What the call exercises, for the report. */
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
  note: string;
}

export type Scenario = CallScenario | StartupScenario;

export type Unit = 'ns' | 'ms';

export function unitOf(s: Scenario): Unit {
  return s.kind === 'calls' ? 'ns' : 'ms';
}

/** One measured run. */
export interface Sample {
  /** Wall time: ns per call (calls scenarios) or ms (startup). */
  value: number;
  /**
   * CPU time of the looping process, ns per call (user + sys, as bash's `time`
   * reports it for the loop alone). Time spent waiting for a CPU is not in it,
   * so on a contended host it is the sharper measure of what a call costs in
   * that process; it misses whatever a supervisor spends on its behalf.
   */
  cpu?: number;
  /** The supervisor's peak RSS, KiB, when the mechanism has a supervisor that reports it. */
  peakRssKiB?: number;
}

/** What every mechanism may use: paths and the per-run setup computed once. */
export interface BenchContext {
  /** The persona every filtered mechanism presents, e.g. "5.10". */
  kernel: string;
  /** test/programs/bin/loop. */
  loopPath: string;
  /** bin/cr-shim.js. */
  cliPath: string;
  /** build/Release/bench-supervisor. */
  cSupervisorPath: string;
  /** Environment for cr-shim runs (a private host-probe cache, see main.ts). */
  env: NodeJS.ProcessEnv;
  /** Raw filters for the BPF-only mechanisms, keyed by mechanism id. */
  filters: Record<string, Buffer>;
}

export interface Mechanism {
  id: string;
  title: string;
  /** One line: what runs, and what it isolates. */
  note: string;
  /** Why this mechanism cannot run on this machine, or undefined when it can. */
  unavailable(ctx: BenchContext): string | undefined;
  supports(s: Scenario): boolean;
  /** One run. Throws ShimError naming the mechanism and scenario when the run fails or answers wrongly. */
  run(s: Scenario, ctx: BenchContext): Promise<Sample>;
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

/** All samples of one (scenario, mechanism) cell, in run order (round-major). */
export interface Cell {
  scenario: string;
  mechanism: string;
  unit: Unit;
  samples: Sample[];
  summary: Summary;
  /** Over samples' cpu, when every sample has one. */
  cpuSummary?: Summary;
}

/** A goal from issue 2, as data: `mechanism` vs `baseline` on `scenario`. */
export interface Target {
  id: string;
  title: string;
  scenario: string;
  mechanism: string;
  baseline: string;
  /**
   * delta: median of paired (mechanism - baseline) differences ≤ limit;
   * ratio: median of paired mechanism / baseline ratios ≤ limit;
   * peakRss: largest peak RSS over all of the mechanism's runs ≤ limit (KiB);
   * report: the paired delta, with no limit.
   */
  compare: 'delta' | 'ratio' | 'peakRss' | 'report';
  /** Which time delta and ratio compare: wall (default) or the loop's CPU time. */
  metric?: 'wall' | 'cpu';
  /** In the scenario's unit for delta, a plain number for ratio, KiB for peakRss. */
  limit?: number;
  /** How the limit reads in the issue, e.g. "≤ 0.05 µs". */
  goal: string;
}

export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'N/A';

export interface TargetResult {
  target: Target;
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

/** The JSON a run writes (--json) and docs/PERFORMANCE.md is generated from. */
export interface BenchReport {
  format: 1;
  host: HostInfo;
  config: {
    kernel: string;
    rounds: number;
    /** The persona-refused syscall the enosys scenario times. */
    refused: { nr: number; name: string };
    wallSeconds: number;
  };
  scenarios: Scenario[];
  mechanisms: { id: string; title: string; note: string; unavailable?: string }[];
  cells: Cell[];
  targets: TargetResult[];
  startup?: { phases: PhaseSummary[]; runs: number };
  /** Issue 11: open-heavy workload and trapped opens (src/bench/open-heavy.ts). */
  openHeavy?: OpenHeavyReport;
  /** Container downtime (containers.ts), or why it was not measured. */
  containers?: ContainerDowntime | { unavailable: string };
  /** Checkpoint downtime, plain CRIU vs cr-shim on the same process and image (downtime.ts). */
  downtime?: DowntimeReport;
}

/** One downtime comparison: ms per run for plain CRIU and for cr-shim, alternated. */
export interface DowntimeRow {
  /** restore-served: `cr-shim restore` handing the tree to a running `cr-shim serve`. */
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
}
