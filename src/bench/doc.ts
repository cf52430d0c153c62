/**
 * docs/PERFORMANCE.md, whole, from one run's JSON (`cr-shim bench --goals`):
 * the run's facts, issue 2's goals, the matrix of targets × scenarios ×
 * threads, every cell, the start-up breakdown and the extra measurements,
 * then the method. Nothing in it is written by hand, so nothing in it goes
 * stale; the dated analysis of earlier runs lives in docs/PERFORMANCE-NOTES.md.
 */
import { containerRows } from './containers.js';
import { renderOpenHeavy } from './open-heavy.js';
import { cellRows, fmtValue, fmtVerdict, fmtGoalValue, fmtPercent } from './format.js';
import { downtimeRows } from './downtime-table.js';
import { phaseRows } from './downtime-phases.js';
import { tableRows } from './matrix-table.js';
import type { BenchReport, Cell } from './types.js';

function mdTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const line = (r: readonly string[]): string => `| ${r.map(esc).join(' | ')} |`;
  return [line(head ?? []), `|${(head ?? []).map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

function load(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(', ');
}

function noiseLine(cells: readonly Cell[]): string {
  const native = cells.filter((c) => c.target === 'native' && c.unit === 'ns' && c.threads === 1);
  if (native.length === 0) return '';
  const worst = native.reduce((a, b) => (b.summary.relIqr > a.summary.relIqr ? b : a));
  const range = native.map((c) => `${c.scenario} ${fmtValue(c.summary.min, c.unit)} .. ${fmtValue(c.summary.max, c.unit)}`).join('; ');
  return `Noise: the native runs alone (one thread) varied by up to ${fmtPercent(worst.summary.relIqr)} (IQR/median, ${worst.scenario}); their full ranges: ${range}.`;
}

/** The start-up scenario's medians next to the breakdown, which was measured in other processes. */
export function measuredStartup(r: BenchReport): string {
  const c = (m: string): Cell | undefined => r.cells.find((x) => x.scenario === 'startup' && x.target === m);
  const shim = c('notify');
  const native = c('native');
  if (!shim || !native) return '';
  return `For comparison, the start-up scenario above: \`cr-shim run\` ${fmtValue(shim.summary.median, 'ms')} and /bin/true alone ${fmtValue(native.summary.median, 'ms')} (medians, spawned from the bench process).`;
}

/** The whole document. */
export function renderDoc(r: BenchReport): string {
  const goalRows = [['goal', 'limit', 'cr-shim (median)', 'baseline (median)', 'compared: median of pairs', 'range over pairs', 'fastest vs fastest', 'verdict']];
  for (const t of r.goals ?? []) {
    const unit = r.cells.find((c) => c.scenario === t.goal.scenario)?.unit ?? 'ns';
    const peak = t.goal.compare === 'peakRss';
    goalRows.push([
      `**${t.goal.id}**: ${t.goal.title}`,
      t.goal.wording,
      t.measured === undefined ? '—' : peak ? fmtGoalValue(t, r.cells, t.measured) : fmtValue(t.measured, unit),
      t.baseline === undefined ? '—' : `${fmtValue(t.baseline, unit)} (${t.goal.baseline})`,
      fmtGoalValue(t, r.cells),
      t.low === undefined || t.high === undefined ? '—' : `${fmtGoalValue(t, r.cells, t.low)} .. ${fmtGoalValue(t, r.cells, t.high)}`,
      t.best === undefined ? '—' : fmtGoalValue(t, r.cells, t.best),
      `**${fmtVerdict(t)}**`,
    ]);
  }
  const c = r.config;
  const lines = [
    '# Performance',
    '',
    `Generated whole by \`npm run bench\` (\`cr-shim bench --goals\`) from one run, whose JSON is [mechanisms-bench.json](mechanisms-bench.json)`,
    'and whose matrix is charted in [mechanisms-bench.svg](mechanisms-bench.svg). Earlier runs, measured by hand, and what they showed:',
    '[PERFORMANCE-NOTES.md](PERFORMANCE-NOTES.md). Options: `cr-shim bench --help`; `--render FILE` regenerates this document from a saved run.',
    '',
    ...(c.note ? [`**About this run:** ${c.note}`, ''] : []),
    `Measured ${r.host.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} on Linux ${r.host.kernel}, ${r.host.cpuModel} × ${r.host.cpus} CPUs, Node ${r.host.node}.`,
    `Persona \`--kernel ${c.kernel}\`; ${c.rounds} interleaved round(s); threads ${c.threads.join(', ')}; \`--calls ${c.calls}\` (cheap calls ×10), at most ${c.budgetMs} ms a run; the run took ${c.wallSeconds.toFixed(0)} s.`,
    `Load average (1, 5, 15 min): ${load(r.host.loadStart)} at the start, ${load(r.host.loadEnd)} at the end.` +
      (r.host.cpuPressure
        ? ` CPU pressure (PSI "some", 60 s average: the share of time in which a runnable task waited for a CPU): ${r.host.cpuPressure.start}% at the start, ${r.host.cpuPressure.end}% at the end.`
        : ''),
    noiseLine(r.cells),
    '',
    '## Goals (issue 2)',
    '',
    ...(r.goals
      ? [
          mdTable(goalRows),
          '',
          'Judged on the one-thread cells of this run, cr-shim (`cr-shim run`, notify) and its baseline side by side: the verdict takes',
          'the median over pairs of runs from the same round; "within noise" means the pairs fall on both sides of the limit.',
          '"Fastest vs fastest" compares the least disturbed runs.',
        ]
      : ['Not judged in this run (it was not a --goals run).']),
    '',
    '## Targets side by side',
    '',
    'Median wall time per call, all threads\' calls counted (so with several threads a figure below the one-thread one means the calls ran in parallel).',
    '',
    mdTable(tableRows(r)),
    '',
    '## All measurements',
    '',
    mdTable(cellRows(r.cells)),
    '',
  ];
  if (r.startup) {
    lines.push(
      `## Where \`cr-shim run --kernel ${r.config.kernel} -- /bin/true\` spends its time in the Node.js CLI`,
      '',
      `Medians of ${r.startup.runs} runs of \`dist/bench/startup-probe.js\`, which repeats the Node.js CLI's run steps with a clock between them. ` +
        'The CLI runs `run` only when the native front declines it (a session-cache miss, an option the front does not take, `CR_SHIM_FRONT=off`): ' +
        'a cached run, which the start-up goals measure, is served by the front in C (docs/FRONT.md).',
      '',
      mdTable([['phase', 'median', 'q1 .. q3'], ...r.startup.phases.map((p) => [p.title, fmtValue(p.summary.median, 'ms'), `${fmtValue(p.summary.q1, 'ms')} .. ${fmtValue(p.summary.q3, 'ms')}`])]),
      '',
      measuredStartup(r),
      '',
    );
  }
  if (r.containers) {
    lines.push('## Containers: downtime with the CRIU plugin', '');
    if ('unavailable' in r.containers) lines.push(`Not measured: ${r.containers.unavailable}.`, '');
    else {
      lines.push(
        `${r.containers.rounds} rounds; in each, a busybox container checkpointed with \`podman container checkpoint --export\`, removed and restored with \`--import\`,`,
        `plain and under cr-shim (${r.containers.persona}, the plugin through org.criu.config, a private \`cr-shim serve\`), one after the other (docs/CONTAINERS.md; src/bench/containers.ts).`,
        '',
        mdTable(containerRows(r.containers)),
        '',
      );
    }
  }
  if (r.downtime) {
    lines.push(
      '## Checkpoint downtime (issue 9): plain CRIU vs cr-shim',
      '',
      `${r.downtime.runs} alternated runs of each, CRIU ${r.downtime.criu}, on test/programs/bin/stamp under \`cr-shim run --kernel ${r.config.kernel}\`,`,
      'which writes CLOCK_REALTIME every millisecond: dump is the longest gap it saw across a `--leave-running` dump;',
      'restore runs from the command\'s start to its first write after the restore, on one image (cr-shim\'s dump, converted once).',
      '',
      mdTable(downtimeRows(r.downtime)),
      '',
    );
    const served = r.downtime.phases?.find((p) => p.row === 'restore-served');
    if (served !== undefined && served.phases.length > 0) {
      lines.push(
        'Where the served restore\'s time goes ($CR_SHIM_PHASES traces of the same runs, src/phase-trace.ts; medians, ms after the command\'s start):',
        '',
        mdTable(phaseRows(served)),
        '',
      );
    }
  }
  if (r.openHeavy) lines.push(...renderOpenHeavy(r.openHeavy, r.config.kernel));
  lines.push(
    '## Method',
    '',
    'Scenarios (test/programs/bin/loop-mt makes one syscall N times in each of T threads started from a barrier and prints ns per call,',
    'timed with the vDSO clock; for native, the BPF-only targets and notify it runs under bash\'s `time`, whose user + sys for the loop',
    'alone gives the CPU columns):',
    '',
    ...r.scenarios.map((s) => `- **${s.id}**: ${s.title}${s.kind === 'calls' ? `, ${c.calls * s.weight} calls per run at most` : `, ${s.perRound} per round`}; ${s.note}.`),
    '',
    'Targets:',
    '',
    ...r.targets.map((t) => `- **${t.id}**: ${t.note}${t.unavailable ? ` (not run: ${t.unavailable})` : ''}.`),
    '',
    'Nothing is pinned to a CPU: a wake-up across CPUs costs tens of µs on this VM (docs/DESIGN.md), and both',
    'cr-shim\'s loop and bench-supervisor set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, which keeps the supervisor and',
    'the program on one CPU. The cr-shim runs get a private host-probe cache, warmed before the first round.',
  );
  return lines.join('\n') + '\n';
}
