/** `cr-shim run [--kernel R] [--stats] [--trace FILE] -- PROGRAM [ARGS...]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { UsageError } from '../../errors.js';
import { prepareSession } from '../session.js';
import { supervise } from '../../supervisor/supervise.js';
import { formatStats } from '../stats-report.js';

export const runSpec: CommandSpec = {
  name: 'run',
  usage: 'cr-shim run [--kernel RELEASE] [--stats] [--trace FILE] [--] PROGRAM [ARGS...]',
  summary: 'Run PROGRAM under the shim, seeing the syscall surface and identity of kernel RELEASE.',
  stopAtPositional: true,
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present, e.g. 2.6.32, 4.19, 5.4.0-150-generic (default: this host\'s)' },
    { name: 'stats', help: 'print per translated syscall the count and mean latency at exit' },
    { name: 'trace', value: 'FILE', help: 'write one JSON line per translated call to FILE (all calls go through TypeScript)' },
    { name: 'no-new-privs', help: 'set PR_SET_NO_NEW_PRIVS before the filter even when not needed' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

export async function runCommand(p: Parsed): Promise<number> {
  if (p.positionals.length === 0) throw new UsageError('run', 'no program given', { code: 'EUSAGE', hint: `usage: ${runSpec.usage}` });
  const session = prepareSession(str(p.options.kernel));
  if (!flag(p.options.quiet)) for (const n of session.notices) process.stderr.write(`cr-shim: ${n}\n`);
  const trace = str(p.options.trace);
  const result = await supervise({
    argv: p.positionals,
    filter: session.filter,
    noNewPrivs: flag(p.options['no-new-privs']),
    worker: { persona: session.persona, routes: session.routes, native: trace === undefined, ...(trace ? { traceFile: trace } : {}) },
  });
  if (flag(p.options.stats)) process.stderr.write(formatStats(result.stats, result.native, session.routes));
  return result.status;
}
