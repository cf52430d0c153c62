/** The shape of a `cr-shim bench` run, as written with --json and read back by the renderers. */
import type { Summary } from '../../bench/types.js';
import type { MechScenario } from './scenarios.js';

export interface MechCell {
  scenario: string;
  target: string;
  threads: number;
  /** ns of wall time per call, all threads' calls counted, one per run. */
  samples: number[];
  /** ns one thread waited per call, one per run. */
  threadSamples: number[];
  summary: Summary;
}

export interface MechBenchReport {
  format: 1;
  tool: 'cr-shim bench';
  host: { date: string; kernel: string; cpuModel: string; cpus: number; node: string; loadStart: number[]; loadEnd: number[] };
  config: { kernel: string; calls: number; budgetMs: number; threads: number[]; rounds: number; wallSeconds: number };
  scenarios: MechScenario[];
  targets: { id: string; title: string; note: string; unavailable?: string }[];
  cells: MechCell[];
}
