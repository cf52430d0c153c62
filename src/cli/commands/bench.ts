/**
 * `cr-shim bench`: the one benchmark (src/bench/), in two views.
 *
 * Alone: the cost per call of each interception mechanism (and native,
 * BPF-only, proot -k, gVisor) on four kinds of call, in 1, 2 and 8 threads;
 * a table on stdout, the run as JSON and a chart as SVG on request.
 *
 * With --goals (`npm run bench`): every scenario and target of the same run,
 * issue 2's goals judged on its cells with cr-shim and its baseline side by
 * side, the extra measurements, and docs/PERFORMANCE.md regenerated whole.
 * --render JSON regenerates the document from a saved run, measuring nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { ShimError, UsageError } from '../../errors.js';
import { ROOT } from '../../bench/context.js';
import { renderDoc } from '../../bench/doc.js';
import { formatReport } from '../../bench/format.js';
import { formatTable } from '../../bench/matrix-table.js';
import { EXTRAS, runBench, type ExtraId } from '../../bench/run-bench.js';
import { renderSvg } from '../../bench/svg.js';
import { TARGETS } from '../../bench/targets/registry.js';
import type { BenchReport } from '../../bench/types.js';
import { writeStdout } from '../stdout.js';

const DEFAULT_DOC = path.join(ROOT, 'docs', 'PERFORMANCE.md');

export const benchSpec: CommandSpec = {
  name: 'bench',
  usage: 'cr-shim bench [--goals] [--kernel RELEASE] [--threads 1,2,8] [--calls N] [--rounds N] [--budget-ms MS] [--json FILE] [--svg FILE]',
  summary: 'Time a call left alone, refused, faked and translated under each interception mechanism, native, BPF-only, proot and gVisor.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'persona of the filtered targets (default 5.10)' },
    { name: 'threads', value: 'LIST', help: 'thread counts, comma-separated (default 1,2,8)' },
    { name: 'calls', value: 'N', help: 'calls per run of the costly scenarios, all threads together; cheap ones make 10 times more (default 20000)' },
    { name: 'rounds', value: 'N', help: 'interleaved rounds: samples per cell (default 3; 6 with --goals)' },
    { name: 'budget-ms', value: 'MS', help: 'wall time a run should take: slow targets make fewer calls, never under 500 (default 250)' },
    { name: 'target', value: 'ID', repeat: true, help: `only these targets (${TARGETS.map((t) => t.id).join(', ')}; default all but the variants ${TARGETS.filter((t) => !t.matrix).map((t) => t.id).join(', ')}, which --goals runs too)` },
    { name: 'scenario', value: 'ID', repeat: true, help: 'only these scenarios (left-alone, refused, fake, translated; arg-refused and startup with --goals by default)' },
    { name: 'json', value: 'FILE', help: 'write the run as JSON to FILE' },
    { name: 'svg', value: 'FILE', help: 'write a grouped bar chart (log scale) to FILE' },
    { name: 'quiet', help: 'no progress on stderr' },
    { name: 'goals', help: "the goals view (npm run bench): every scenario and target, issue 2's goals judged, the extra measurements, docs/PERFORMANCE.md rewritten with its run's JSON and chart beside it (mechanisms-bench.json, .svg)" },
    { name: 'extras', value: 'LIST', help: `with --goals: the extra measurements, comma-separated (default ${EXTRAS.join(',')}; none for none)` },
    { name: 'startup-runs', value: 'N', help: 'with --goals: runs of the start-up breakdown probe (default 5)' },
    { name: 'downtime-runs', value: 'N', help: 'with --goals: alternated runs of each checkpoint downtime comparison, plain CRIU vs cr-shim (default 5)' },
    { name: 'doc', value: 'FILE', help: `with --goals or --render: the document to write (default ${path.relative(ROOT, DEFAULT_DOC)})` },
    { name: 'no-doc', help: 'with --goals: leave the document alone' },
    { name: 'note', value: 'TEXT', help: 'with --goals: a sentence about the run, printed in the document (e.g. how loaded the machine was)' },
    { name: 'render', value: 'JSON', help: 'regenerate the document from a saved --goals run, measuring nothing' },
  ],
};

function count(v: string | undefined, name: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError('bench', `--${name} ${v}: not ${min === 0 ? 'a non-negative' : 'a positive'} integer`, { code: 'EUSAGE', hint: `usage: ${benchSpec.usage}` });
  }
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

function extraList(v: string | undefined): ExtraId[] {
  if (v === undefined) return [...EXTRAS];
  if (v === 'none' || v === '') return [];
  const list = v.split(',').map((x) => x.trim());
  for (const x of list) {
    if (!(EXTRAS as readonly string[]).includes(x)) throw new UsageError('bench', `--extras ${v}: unknown ${x}`, { code: 'EUSAGE', hint: `a list of ${EXTRAS.join(', ')}, or none` });
  }
  return list as ExtraId[];
}

function ids(v: unknown): string[] | undefined {
  return Array.isArray(v) ? (v as string[]) : undefined;
}

/** A saved run. Throws ShimError naming the file when it cannot be read or is not a format-2 report. */
function readReport(file: string): BenchReport {
  let report: Partial<BenchReport>;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BenchReport>;
  } catch (cause) {
    throw new ShimError(`read ${file}`, (cause as Error).message, { cause, code: (cause as NodeJS.ErrnoException).code ?? 'EINVAL', hint: 'give the file a run wrote with --json' });
  }
  if (report.format !== 2 || !Array.isArray(report.cells)) {
    throw new ShimError(`read ${file}`, 'not a bench report (format 2)', { code: 'EINVAL', hint: 'give the file a run wrote with --json' });
  }
  return report as BenchReport;
}

function write(file: string, text: string, quiet: boolean): void {
  fs.writeFileSync(file, text);
  if (!quiet) process.stderr.write(`cr-shim bench: wrote ${file}\n`);
}

export async function benchCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('bench', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${benchSpec.usage}` });
  const quiet = flag(p.options.quiet);
  const docFile = path.resolve(str(p.options.doc) ?? DEFAULT_DOC);
  const render = str(p.options.render);
  if (render !== undefined) {
    write(docFile, renderDoc(readReport(render)), quiet);
    return 0;
  }
  const goals = flag(p.options.goals);
  const report = await runBench({
    kernel: str(p.options.kernel) ?? '5.10',
    threads: threadList(str(p.options.threads)),
    calls: count(str(p.options.calls), 'calls', 20_000),
    rounds: count(str(p.options.rounds), 'rounds', goals ? 6 : 3),
    budgetMs: count(str(p.options['budget-ms']), 'budget-ms', 250),
    scenarios: ids(p.options.scenario),
    targets: ids(p.options.target),
    goals,
    extras: extraList(str(p.options.extras)),
    startupRuns: count(str(p.options['startup-runs']), 'startup-runs', 5, 0),
    downtimeRuns: count(str(p.options['downtime-runs']), 'downtime-runs', 5, 0),
    ...(str(p.options.note) !== undefined ? { note: str(p.options.note)! } : {}),
    say: (line) => {
      if (!quiet) process.stderr.write(`cr-shim bench: ${line}\n`);
    },
  });
  await writeStdout(goals ? formatReport(report) : formatTable(report));
  // The document names its run's JSON and chart beside it: a goals run that writes the document writes them too.
  const withDoc = goals && !flag(p.options['no-doc']);
  const beside = (ext: string): string | undefined => (withDoc ? path.join(path.dirname(docFile), `mechanisms-bench.${ext}`) : undefined);
  const json = str(p.options.json) ?? beside('json');
  if (json) write(json, JSON.stringify(report, null, 2) + '\n', quiet);
  const svg = str(p.options.svg) ?? beside('svg');
  if (svg) write(svg, renderSvg(report), quiet);
  // Rendered from the JSON text, not the live objects: the document holds nothing the JSON lacks.
  if (withDoc) write(docFile, renderDoc(JSON.parse(JSON.stringify(report)) as BenchReport), quiet);
  return 0;
}
