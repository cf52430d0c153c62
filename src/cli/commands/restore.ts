/** `cr-shim restore [--kernel R] [--criu PATH] [--allow-io-uring] [--stats] [--trace FILE] [--socket PATH] [--no-serve] [--quiet] IMG [-- CRIU-OPTIONS...]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, ownAndPassThrough, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_CRIU_LIMITS } from '../../restore/criu-limits.js';
import { ALLOW_IO_URING_HELP } from '../run-view.js';
import { NO_SERVE_HELP, SOCKET_HELP, serveChoice } from '../hand-over-options.js';
// Loaded with this module, not on demand: the thin client is the usual path, and a second
// dynamic import after the arguments are parsed cost it one more round of the ESM loader's
// asynchronous reads (npm run bench: downtime). It is small: no plan, no BPF, no image readers.
import { restoreThroughService } from '../../restore/thin-client.js';
// The rest loads on demand: a thin client of cr-shim serve needs none of the restore itself,
// and every module on its path costs the restored program's downtime (npm run bench: downtime).

/** A positive number of seconds or MiB given with `name`, or the default. */
function positive(v: Parsed['options'][string], name: string, dflt: number): number {
  const text = str(v);
  if (text === undefined) return dflt;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError('restore', `${name} needs a positive number, not ${text}`, { code: 'EUSAGE' });
  return Number(text);
}
export const restoreSpec: CommandSpec = {
  name: 'restore',
  usage: 'cr-shim restore [--kernel RELEASE] [--criu PATH] [--criu-timeout SECONDS] [--criu-log-limit MIB] [--stats] [--trace FILE] [--socket PATH] [--no-serve] [--quiet] IMG [-- CRIU-OPTIONS...]',
  summary: 'Restore the CRIU image IMG under the shim, presenting the kernel it was taken on; exit with its root\'s status.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present (default: the one IMG/cr-shim.json records, else this host\'s)' },
    { name: 'criu', value: 'PATH', help: 'the criu to run (default: $CR_SHIM_CRIU, .cache/criu-root/criu, PATH)' },
    { name: 'allow-io-uring', help: ALLOW_IO_URING_HELP },
    { name: 'stats', help: 'print per translated syscall the count and mean latency at exit' },
    { name: 'trace', value: 'FILE', help: 'write one JSON line per translated call to FILE' },
    { name: 'criu-timeout', value: 'SECONDS', help: `kill criu restore and the partial tree after SECONDS (default ${DEFAULT_CRIU_LIMITS.timeoutMs / 1000})` },
    { name: 'criu-log-limit', value: 'MIB', help: `kill criu restore and the partial tree once its log passes MIB (default ${DEFAULT_CRIU_LIMITS.maxLogBytes / 2 ** 20}; a damaged image can make it grow 10 MB/s)` },
    { name: 'socket', value: 'PATH', help: SOCKET_HELP },
    { name: 'no-serve', help: NO_SERVE_HELP },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

export async function restoreCommand(p: Parsed): Promise<number> {
  const { own: [imgDir], passThrough: criuArgs } = ownAndPassThrough(restoreSpec, p, 1);
  if (imgDir === undefined) throw new UsageError('restore', 'no image directory given', { code: 'EUSAGE', hint: `usage: ${restoreSpec.usage}` });
  const quiet = flag(p.options.quiet);
  const trace = str(p.options.trace);
  if (trace !== undefined) (await import('../../supervisor/trace.js')).assertTraceWritable(trace);
  const kernel = str(p.options.kernel);
  const criu = str(p.options.criu);
  const limits = {
    timeoutMs: positive(p.options['criu-timeout'], '--criu-timeout', DEFAULT_CRIU_LIMITS.timeoutMs / 1000) * 1000,
    maxLogBytes: positive(p.options['criu-log-limit'], '--criu-log-limit', DEFAULT_CRIU_LIMITS.maxLogBytes / 2 ** 20) * 2 ** 20,
  };
  const notice = (line: string) => quiet || writeNotice(line);
  const { serve } = serveChoice(p, trace);
  if (serve !== undefined) {
    const status = await restoreThroughService({
      imgDir,
      criuArgs: [...criuArgs],
      ioUring: serve.ioUring,
      limits,
      notice,
      ...(kernel !== undefined ? { kernel } : {}),
      ...(criu !== undefined ? { criu } : {}),
      ...(serve.socket !== undefined ? { socket: serve.socket } : {}),
    });
    if (status !== undefined) return status;
  }
  const { restore } = await import('../../restore/restore.js');
  const result = await restore({
    imgDir,
    criuArgs,
    native: trace === undefined,
    ...(kernel !== undefined ? { kernel } : {}),
    ...(criu !== undefined ? { criu } : {}),
    ...(trace !== undefined ? { traceFile: trace } : {}),
    notice,
    prepare: async (release) => (await import('../../supervisor/session.js')).prepareSession(release, { view: { identityMounted: false, ioUring: flag(p.options['allow-io-uring']) } }),
    limits,
  });
  if (flag(p.options.stats)) {
    const { formatStats } = await import('../stats-report.js');
    process.stderr.write(formatStats(result.stats, result.native, result.session.routes));
  }
  if (result.status === undefined) {
    // Only if the root was reaped by someone else: it is our child, so this should not happen.
    writeNotice(`restore: the exit status of process ${result.root} could not be read`);
    return 0;
  }
  return result.status;
}
