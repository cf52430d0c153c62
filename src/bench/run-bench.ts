/**
 * One bench run, whichever view asked for it: set up, warm up, run the chosen
 * scenarios × targets × threads through the one runner, and with goals judge
 * issue 2's goals on the same cells and add the extra measurements (start-up
 * breakdown, checkpoint and container downtime, open-heavy). Returns the
 * report; printing and writing files is the command's job.
 */
import os from 'node:os';
import { locateCriu } from '../criu/binary.js';
import { UsageError } from '../errors.js';
import { containersUnavailable, measureContainers } from './containers.js';
import { setUp } from './context.js';
import { measureDowntime } from './downtime.js';
import { evaluateGoals } from './goals.js';
import { cpuPressure, hostInfo } from './host-info.js';
import { measureOpenHeavy, openHeavyMissing } from './open-heavy.js';
import { runAll, type RunStep } from './runner.js';
import { benchScenarios } from './scenarios.js';
import { measureStartup } from './startup.js';
import { TARGETS } from './targets/registry.js';
import type { BenchReport, Sample } from './types.js';

/** The measurements a goals run adds beside the cells, by id. */
export const EXTRAS = ['startup-phases', 'downtime', 'open-heavy', 'containers'] as const;
export type ExtraId = (typeof EXTRAS)[number];

export interface BenchOptions {
  kernel: string;
  threads: number[];
  calls: number;
  rounds: number;
  budgetMs: number;
  /** Scenario and target ids; undefined for the view's default set. */
  scenarios?: string[];
  targets?: string[];
  /** The goals view: every scenario and target by default, goals judged, extras measured. */
  goals: boolean;
  extras: readonly ExtraId[];
  startupRuns: number;
  downtimeRuns: number;
  note?: string;
  /** Progress lines for stderr. */
  say: (line: string) => void;
}

/** The ids a repeatable option may name, checked; throws UsageError listing the known ones. */
function pick<T extends { id: string }>(ids: string[] | undefined, name: string, all: readonly T[], dflt: (x: T) => boolean): T[] {
  if (ids === undefined) return all.filter(dflt);
  for (const id of ids) {
    if (!all.some((x) => x.id === id)) throw new UsageError('bench', `--${name} ${id}: unknown`, { code: 'EUSAGE', hint: `one of ${all.map((x) => x.id).join(', ')}` });
  }
  return all.filter((x) => ids.includes(x.id));
}

function fmtSample(step: RunStep, s: Sample): string {
  return step.scenario.kind === 'calls' ? `${s.value.toFixed(0)} ns` : `${s.value.toFixed(1)} ms`;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const started = new Date();
  const loadStart = os.loadavg();
  const pressureStart = cpuPressure();
  const t0 = process.hrtime.bigint();
  const { ctx, refused, unimplemented, dispose } = setUp(o.kernel);
  try {
    const scenarios = pick(o.scenarios, 'scenario', benchScenarios({ refused, unimplemented }), (s) => o.goals || s.matrix);
    const chosen = pick(o.targets, 'target', TARGETS, (t) => o.goals || t.matrix).map((t) => ({ t, unavailable: t.unavailable(ctx) }));
    for (const { t, unavailable } of chosen) if (unavailable) o.say(`skipping ${t.id}: ${unavailable}`);
    const targets = chosen.filter((x) => x.unavailable === undefined).map((x) => x.t);

    if (o.goals) {
      // Warm-up, discarded: page cache, the private probe cache, the workload binaries.
      o.say('warm-up');
      const warm = benchScenarios({ refused, unimplemented, startupsPerRound: 1 }).filter((s) => scenarios.some((x) => x.id === s.id));
      await runAll({ scenarios: warm, targets, threads: [1], rounds: 1, calls: 50, budgetMs: o.budgetMs }, ctx, { warn: o.say });
    }

    const cells = await runAll({ scenarios, targets, threads: o.threads, rounds: o.rounds, calls: o.calls, budgetMs: o.budgetMs }, ctx, {
      warn: o.say,
      progress: (step, sample, done, total) => o.say(`[${done}/${total}] round ${step.round + 1} ${step.scenario.id} ×${step.threads} ${step.target.id}: ${fmtSample(step, sample)}`),
    });

    const report: BenchReport = {
      format: 2,
      tool: 'cr-shim bench',
      host: hostInfo(started, loadStart, pressureStart),
      config: { kernel: o.kernel, calls: o.calls, budgetMs: o.budgetMs, threads: o.threads, rounds: o.rounds, refused, wallSeconds: 0, ...(o.note ? { note: o.note } : {}) },
      scenarios,
      targets: chosen.map(({ t, unavailable }) => ({ id: t.id, title: t.title, note: t.note, ...(unavailable === undefined ? {} : { unavailable }) })),
      cells,
    };
    if (o.goals) {
      report.goals = evaluateGoals(cells);
      const want = (id: ExtraId): boolean => o.extras.includes(id);
      if (want('startup-phases') && o.startupRuns > 0) {
        o.say(`start-up breakdown (${o.startupRuns} runs)`);
        report.startup = { phases: await measureStartup(o.kernel, ctx.cliPath, o.startupRuns, ctx.env), runs: o.startupRuns };
      }
      if (want('containers')) {
        const why = containersUnavailable();
        if (why !== undefined) {
          o.say(`skipping containers: ${why}`);
          report.containers = { unavailable: why };
        } else {
          o.say(`container downtime (${o.rounds} rounds)`);
          report.containers = await measureContainers({ rounds: o.rounds, kernel: o.kernel, cliPath: ctx.cliPath, criu: (await locateCriu()).path, env: ctx.env });
        }
      }
      if (want('downtime') && o.downtimeRuns > 0) {
        o.say(`checkpoint downtime, plain CRIU vs cr-shim (${o.downtimeRuns} runs each)`);
        report.downtime = await measureDowntime(o.kernel, ctx.cliPath, o.downtimeRuns, ctx.env);
      }
      if (want('open-heavy')) {
        const missing = openHeavyMissing();
        if (missing) o.say(`skipping open-heavy: ${missing}`);
        else report.openHeavy = await measureOpenHeavy(ctx, Math.min(o.rounds, 5), o.say);
      }
      report.host = hostInfo(started, loadStart, pressureStart);
    }
    report.config.wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return report;
  } finally {
    dispose();
  }
}
