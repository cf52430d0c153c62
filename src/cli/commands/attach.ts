/** `cr-shim attach --kernel R [--allow-io-uring] [--stats] [--trace FILE] [--socket PATH] [--no-serve] PID` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import { UsageError } from '../../errors.js';
import { prepareSession } from '../../supervisor/session.js';
import { attach } from '../../inject/attach.js';
import { formatStats } from '../stats-report.js';
import { assertTraceWritable } from '../../supervisor/trace.js';
import { ALLOW_IO_URING_HELP } from '../run-view.js';
import { NO_SERVE_HELP, SOCKET_HELP, serveChoice } from '../hand-over-options.js';
import { handOver } from '../../restore/hand-over.js';

export const attachSpec: CommandSpec = {
  name: 'attach',
  usage: 'cr-shim attach --kernel RELEASE [--stats] [--trace FILE] [--socket PATH] [--no-serve] [--quiet] PID',
  summary: 'Put the running process PID and its descendants under the shim for the rest of their lives.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present, e.g. 3.10.0, 4.19 (required)' },
    { name: 'allow-io-uring', help: ALLOW_IO_URING_HELP },
    { name: 'stats', help: 'print per translated syscall the count and mean latency at exit' },
    { name: 'trace', value: 'FILE', help: 'write one JSON line per translated call to FILE' },
    { name: 'socket', value: 'PATH', help: SOCKET_HELP },
    { name: 'no-serve', help: NO_SERVE_HELP },
    { name: 'quiet', help: 'no notices on stderr (the one that the filter cannot be removed is always printed)' },
  ],
};

export async function attachCommand(p: Parsed): Promise<number> {
  const [pidText, ...extra] = p.positionals;
  const kernel = str(p.options.kernel);
  if (pidText === undefined || extra.length > 0 || !/^[1-9][0-9]*$/.test(pidText)) {
    throw new UsageError('attach', pidText === undefined ? 'no pid given' : `expected one pid, got ${p.positionals.join(' ')}`, { code: 'EUSAGE', hint: `usage: ${attachSpec.usage}` });
  }
  if (kernel === undefined) throw new UsageError('attach', 'no --kernel given', { code: 'EUSAGE', hint: `usage: ${attachSpec.usage}` });
  const quiet = flag(p.options.quiet);
  const trace = str(p.options.trace);
  if (trace !== undefined) assertTraceWritable(trace);
  const notice = (line: string): void => { if (!quiet) writeNotice(line); };
  const { serve } = serveChoice(p, trace);
  const service = await handOver({ enabled: serve !== undefined, ...serve, ioUring: serve?.ioUring ?? false, release: kernel, notice });
  const session = service === undefined ? prepareSession(kernel, { view: { identityMounted: false, ioUring: flag(p.options['allow-io-uring']) } }) : undefined;
  if (session !== undefined) for (const n of session.notices) notice(n);
  const pid = Number(pidText);
  let result;
  try {
    result = await attach({
      pid,
      ...(session !== undefined ? { session } : {}),
      ...(service !== undefined ? { handOver: service } : {}),
      native: trace === undefined,
      ...(trace !== undefined ? { traceFile: trace } : {}),
      notice: (line) => writeNotice(line),
    });
  } finally {
    service?.cancel();
  }
  if (flag(p.options.stats) && session !== undefined) process.stderr.write(formatStats(result.stats, result.native, session.routes));
  if (result.status === undefined) {
    if (!quiet) writeNotice(`attach: process ${pid} has exited; its exit status is unknown (it is not a child of cr-shim)`);
    return 0;
  }
  return result.status;
}
