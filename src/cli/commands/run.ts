/** `cr-shim run [--kernel R] [--mechanism M] [--stats] [--trace FILE] -- PROGRAM [ARGS...]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import { UsageError } from '../../errors.js';
import { MECHANISM_IDS, type MechanismId } from '../../mechanisms/types.js';
import type { PlanView } from '../../plan/compute.js';
import type { CompiledRun } from '../../supervisor/compiled-run-types.js';
import { openRunCache } from '../../supervisor/run-cache.js';
import { superviseCompiled, type SuperviseResult } from '../../supervisor/supervise.js';
import type { RouteSpec } from '../../supervisor/worker-protocol.js';
import { formatStats } from '../stats-report.js';
import { formatPeakRss } from '../../supervisor/peak-rss.js';
import { assertTraceWritable } from '../../supervisor/trace.js';
import { ALLOW_IO_URING_HELP, ALLOW_TIOCSTI_HELP, DUMPABLE_HELP, runView } from '../run-view.js';

export const runSpec: CommandSpec = {
  name: 'run',
  usage: 'cr-shim run [--kernel RELEASE] [--mechanism M] [--dumpable] [--allow-io-uring] [--allow-tiocsti] [--stats] [--trace FILE] [--] PROGRAM [ARGS...]',
  summary: 'Run PROGRAM under the shim, seeing the syscall surface and identity of kernel RELEASE.',
  stopAtPositional: true,
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present, e.g. 2.6.32, 4.19, 5.4.0-150-generic (default: this host\'s)' },
    { name: 'mechanism', value: 'M', help: `how routed calls reach the handlers: ${MECHANISM_IDS.join(', ')} (default: notify)` },
    { name: 'dumpable', help: DUMPABLE_HELP },
    { name: 'allow-io-uring', help: ALLOW_IO_URING_HELP },
    { name: 'allow-tiocsti', help: ALLOW_TIOCSTI_HELP },
    { name: 'stats', help: 'print per translated syscall the count and mean latency at exit, and cr-shim\'s peak RSS' },
    { name: 'trace', value: 'FILE', help: 'write one JSON line per translated call to FILE (all calls go through TypeScript)' },
    { name: 'no-new-privs', help: 'set PR_SET_NO_NEW_PRIVS before the filter even when not needed' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

export async function runCommand(p: Parsed): Promise<number> {
  if (p.positionals.length === 0) throw new UsageError('run', 'no program given', { code: 'EUSAGE', hint: `usage: ${runSpec.usage}` });
  const mechanismId = str(p.options.mechanism) ?? 'notify';
  const trace = str(p.options.trace);
  const quiet = flag(p.options.quiet);
  const notice = (n: string): void => {
    if (!quiet) writeNotice(n);
  };
  const kernel = str(p.options.kernel);
  const behaviourOptions = flag(p.options['allow-tiocsti']) ? ['tiocsti'] : [];
  const viewOf = (mechanism: MechanismId) => runView({ mechanism, dumpable: flag(p.options.dumpable), allowIoUring: flag(p.options['allow-io-uring']) });
  const finish = (result: SuperviseResult, routes: RouteSpec[]): number => {
    // Read after the worker has ended: ru_maxrss is a high-water mark, so its peak is included.
    if (flag(p.options.stats)) process.stderr.write(formatStats(result.stats, result.native, routes) + formatPeakRss(process.resourceUsage().maxRSS));
    return result.status;
  };
  // The common case, notify without --trace, starts from a compiled run (the session cache's
  // when it has one): the other mechanisms and --trace load the planner and the registry.
  if (mechanismId === 'notify' && trace === undefined) {
    const { view, notices } = viewOf('notify');
    const run = await compiledRun(kernel, view, behaviourOptions);
    for (const n of [...notices, ...run.notices]) notice(n);
    return finish(await superviseCompiled(run, { argv: p.positionals, noNewPrivs: flag(p.options['no-new-privs']) }), run.worker.routes);
  }
  const { mechanismById } = await import('../../mechanisms/registry.js');
  const { prepareSession } = await import('../../supervisor/session.js');
  const mechanism = mechanismById(mechanismId);
  const { view, notices } = viewOf(mechanism.id);
  const session = prepareSession(kernel, { view, behaviourOptions: new Set(behaviourOptions) });
  for (const n of [...notices, ...session.notices]) notice(n);
  if (trace !== undefined) assertTraceWritable(trace);
  const result = await mechanism.run({
    argv: p.positionals,
    session,
    noNewPrivs: flag(p.options['no-new-privs']),
    notice,
    ...(trace ? { traceFile: trace } : {}),
  });
  return finish(result, session.routes);
}

/** The compiled run for these options: the session cache's, or prepared, compiled and cached now. */
async function compiledRun(kernel: string | undefined, view: PlanView, behaviourOptions: string[]): Promise<CompiledRun> {
  const slot = openRunCache({ kernel, view, behaviourOptions });
  const hit = slot?.read();
  if (hit) return hit;
  const { prepareSession } = await import('../../supervisor/session.js');
  const { compileRun } = await import('../../supervisor/compiled-run.js');
  const { tableFilesRead } = await import('../../tables/read-log.js');
  const run = compileRun(prepareSession(kernel, { view, behaviourOptions: new Set(behaviourOptions) }), { native: true });
  await slot?.write(run, tableFilesRead());
  return run;
}
