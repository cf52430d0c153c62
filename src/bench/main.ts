/**
 * `npm run bench` (node dist/bench/main.js): scenarios × mechanisms in
 * interleaved rounds, issue 2's targets judged, a table on stdout, the JSON
 * with --json, and docs/PERFORMANCE.md regenerated from that JSON. The only
 * process.exit of the benchmark.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag, helpText, parseArgs, str, type CommandSpec } from '../cli/args.js';
import { ShimError, UsageError } from '../errors.js';
import { ROOT, setUp } from './context.js';
import { renderDoc } from './doc.js';
import { formatReport } from './format.js';
import { cpuPressure, hostInfo } from './host-info.js';
import { MECHANISMS } from './mechanisms/registry.js';
import { runAll } from './runner.js';
import { benchScenarios } from './scenarios.js';
import { measureDowntime } from './downtime.js';
import { measureStartup } from './startup.js';
import { containersUnavailable, measureContainers } from './containers.js';
import { locateCriu } from '../criu/binary.js';
import { evaluateTargets } from './targets.js';
import { measureOpenHeavy, openHeavyMissing } from './open-heavy.js';
import type { BenchReport } from './types.js';

const DEFAULT_DOC = path.join(ROOT, 'docs', 'PERFORMANCE.md');

const spec: CommandSpec = {
  name: 'bench',
  usage: 'npm run bench -- [--rounds N] [--kernel R] [--json FILE] [--doc FILE | --no-doc] [--quick] [--render JSON]',
  summary: "Measure cr-shim against issue 2's targets; print a table and regenerate docs/PERFORMANCE.md.",
  options: [
    { name: 'rounds', value: 'N', help: 'interleaved rounds (default 6)' },
    { name: 'kernel', value: 'RELEASE', help: 'persona of the filtered mechanisms (default 5.10)' },
    { name: 'json', value: 'FILE', help: 'write the run as JSON to FILE' },
    { name: 'doc', value: 'FILE', help: `document to regenerate (default ${path.relative(ROOT, DEFAULT_DOC)}; partial and quick runs write one only when given)` },
    { name: 'no-doc', help: 'leave the document alone' },
    { name: 'quick', help: 'a smoke run: 2 rounds, 1/20 of the calls, 1 start-up probe (numbers are not for the doc)' },
    { name: 'startup-runs', value: 'N', help: 'runs of the start-up breakdown probe (default 5; 0 skips it)' },
    { name: 'downtime-runs', value: 'N', help: 'alternated runs of each checkpoint downtime comparison, plain CRIU vs cr-shim (default 5; 0 skips it)' },
    { name: 'scenario', value: 'ID', repeat: true, help: 'only these scenarios (getppid, uname, enosys, startup, downtime, open-heavy, containers: Podman downtime, run when podman is installed)' },
    { name: 'mechanism', value: 'ID', repeat: true, help: `only these mechanisms (${MECHANISMS.map((m) => m.id).join(', ')})` },
    { name: 'render', value: 'JSON', help: 'regenerate the document from a saved run, measuring nothing' },
  ],
};

function count(v: string | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} ${v}`, `not an integer ≥ ${min}`, { code: 'EUSAGE', hint: `usage: ${spec.usage}` });
  return n;
}

/** A repeatable option's values, each checked against the known ids; undefined when not given. */
function only(v: unknown, name: string, known: readonly string[]): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const id of v as string[]) {
    if (!known.includes(id)) throw new UsageError(`--${name} ${id}`, `no such ${name}`, { code: 'EUSAGE', hint: `one of ${known.join(', ')}` });
  }
  return v as string[];
}

function writeDoc(file: string, report: BenchReport): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  // Rendered from the JSON text, not the live objects: the document holds nothing the JSON lacks.
  fs.writeFileSync(file, renderDoc(JSON.parse(JSON.stringify(report)) as BenchReport, existing));
  process.stderr.write(`bench: wrote ${file}\n`);
}

/** A saved run. Throws ShimError naming the file when it cannot be read or is not a format-1 report. */
function readReport(file: string): BenchReport {
  let report: Partial<BenchReport>;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BenchReport>;
  } catch (cause) {
    throw new ShimError(`read ${file}`, (cause as Error).message, { cause, code: (cause as NodeJS.ErrnoException).code ?? 'EINVAL', hint: 'give the file a run wrote with --json' });
  }
  if (report.format !== 1 || !Array.isArray(report.cells)) {
    throw new ShimError(`read ${file}`, 'not a bench report (format 1)', { code: 'EINVAL', hint: 'give the file a run wrote with --json' });
  }
  return report as BenchReport;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(helpText(spec));
    return 0;
  }
  const p = parseArgs(spec, argv);
  const docFile = path.resolve(str(p.options.doc) ?? DEFAULT_DOC);
  const render = str(p.options.render);
  if (render !== undefined) {
    writeDoc(docFile, readReport(render));
    return 0;
  }

  const quick = flag(p.options.quick);
  const rounds = count(str(p.options.rounds), 'rounds', quick ? 2 : 6, 1);
  const startupRuns = count(str(p.options['startup-runs']), 'startup-runs', quick ? 1 : 5, 0);
  const downtimeRuns = count(str(p.options['downtime-runs']), 'downtime-runs', quick ? 1 : 5, 0);
  const kernel = str(p.options.kernel) ?? '5.10';
  const started = new Date();
  const loadStart = os.loadavg();
  const pressureStart = cpuPressure();

  const wantMechanisms = only(p.options.mechanism, 'mechanism', MECHANISMS.map((m) => m.id));
  const { ctx, refused, unimplemented, dispose } = setUp(kernel);
  try {
    const allScenarios = benchScenarios({ refused, unimplemented, scale: quick ? 0.05 : 1 });
    const wantScenarios = only(p.options.scenario, 'scenario', [...allScenarios.map((s) => s.id), 'containers', 'downtime', 'open-heavy']);
    const scenarios = allScenarios.filter((s) => !wantScenarios || wantScenarios.includes(s.id));
    const unavailable = new Map(MECHANISMS.map((m) => [m.id, m.unavailable(ctx)]));
    const mechanisms = MECHANISMS.filter((m) => (!wantMechanisms || wantMechanisms.includes(m.id)) && unavailable.get(m.id) === undefined);
    for (const [id, why] of unavailable) if (why) process.stderr.write(`bench: skipping ${id}: ${why}\n`);

    // Warm-up, discarded: page cache, the private probe cache, the loop binary.
    process.stderr.write('bench: warm-up\n');
    await runAll(benchScenarios({ refused, unimplemented, scale: 0.01, startupsPerRound: 1 }).filter((s) => scenarios.some((x) => x.id === s.id)), mechanisms, 1, ctx);

    const cells = await runAll(scenarios, mechanisms, rounds, ctx, (step, sample, done, total) => {
      const v = step.scenario.kind === 'calls' ? `${(sample.value / 1000).toFixed(3)} µs` : `${sample.value.toFixed(1)} ms`;
      process.stderr.write(`bench: [${done}/${total}] round ${step.round + 1} ${step.scenario.id} ${step.mechanism.id}: ${v}\n`);
    });
    let startup: BenchReport['startup'];
    if (startupRuns > 0 && (!wantScenarios || wantScenarios.includes('startup'))) {
      process.stderr.write(`bench: start-up breakdown (${startupRuns} runs)\n`);
      startup = { phases: await measureStartup(kernel, ctx.cliPath, startupRuns, ctx.env), runs: startupRuns };
    }

    let containers: BenchReport['containers'];
    if (!wantScenarios || wantScenarios.includes('containers')) {
      const why = containersUnavailable();
      if (why !== undefined) {
        process.stderr.write(`bench: skipping containers: ${why}\n`);
        containers = { unavailable: why };
      } else {
        process.stderr.write(`bench: container downtime (${rounds} rounds)\n`);
        const criu = await locateCriu();
        containers = await measureContainers({ rounds, kernel, cliPath: ctx.cliPath, criu: criu.path, env: ctx.env });
      }
    }
    let downtime: BenchReport['downtime'];
    if (downtimeRuns > 0 && (!wantScenarios || wantScenarios.includes('downtime'))) {
      process.stderr.write(`bench: checkpoint downtime, plain CRIU vs cr-shim (${downtimeRuns} runs each)\n`);
      downtime = await measureDowntime(kernel, ctx.cliPath, downtimeRuns, ctx.env);
    }
    let openHeavy: BenchReport['openHeavy'];
    if (!wantScenarios || wantScenarios.includes('open-heavy')) {
      const missing = openHeavyMissing();
      if (missing) process.stderr.write(`bench: skipping open-heavy: ${missing}\n`);
      else openHeavy = await measureOpenHeavy(ctx, quick ? 1 : Math.min(rounds, 5), (line) => process.stderr.write(`bench: ${line}\n`));
    }

    const report: BenchReport = {
      format: 1,
      host: hostInfo(started, loadStart, pressureStart),
      config: { kernel, rounds, refused, wallSeconds: (Date.now() - started.getTime()) / 1000 },
      scenarios,
      mechanisms: MECHANISMS.map((m) => ({ id: m.id, title: m.title, note: m.note, ...(unavailable.get(m.id) ? { unavailable: unavailable.get(m.id)! } : {}) })),
      cells,
      targets: evaluateTargets(cells),
      ...(startup ? { startup } : {}),
      ...(containers ? { containers } : {}),
      ...(downtime ? { downtime } : {}),
      ...(openHeavy ? { openHeavy } : {}),
    };
    process.stdout.write(formatReport(report));
    const json = str(p.options.json);
    if (json !== undefined) {
      fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(`bench: wrote ${json}\n`);
    }
    // A partial or quick run would replace the document's full tables with a subset: only on request.
    const partial = quick || wantScenarios !== undefined || wantMechanisms !== undefined;
    if (!flag(p.options['no-doc']) && (!partial || str(p.options.doc) !== undefined)) writeDoc(docFile, report);
    return 0;
  } finally {
    dispose();
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    if (err instanceof ShimError) {
      process.stderr.write(`bench: ${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    }
    process.stderr.write(`bench: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
