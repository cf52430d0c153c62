/** `cr-shim restore [--kernel R] [--criu PATH] [--allow-io-uring] [--stats] [--trace FILE] [--quiet] IMG [-- CRIU-OPTIONS...]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { UsageError } from '../../errors.js';
import { prepareSession } from '../session.js';
import { restore } from '../../restore/restore.js';
import { formatStats } from '../stats-report.js';
import { ALLOW_IO_URING_HELP } from '../run-view.js';

export const restoreSpec: CommandSpec = {
  name: 'restore',
  usage: 'cr-shim restore [--kernel RELEASE] [--criu PATH] [--stats] [--trace FILE] [--quiet] IMG [-- CRIU-OPTIONS...]',
  summary: 'Restore the CRIU image IMG under the shim, presenting the kernel it was taken on; exit with its root\'s status.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present (default: the one IMG/cr-shim.json records, else this host\'s)' },
    { name: 'criu', value: 'PATH', help: 'the criu to run (default: $CR_SHIM_CRIU, .cache/criu-root/criu, PATH)' },
    { name: 'allow-io-uring', help: ALLOW_IO_URING_HELP },
    { name: 'stats', help: 'print per translated syscall the count and mean latency at exit' },
    { name: 'trace', value: 'FILE', help: 'write one JSON line per translated call to FILE' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

export async function restoreCommand(p: Parsed): Promise<number> {
  const [imgDir, ...criuArgs] = p.positionals;
  if (imgDir === undefined) throw new UsageError('restore', 'no image directory given', { code: 'EUSAGE', hint: `usage: ${restoreSpec.usage}` });
  const quiet = flag(p.options.quiet);
  const trace = str(p.options.trace);
  const kernel = str(p.options.kernel);
  const criu = str(p.options.criu);
  const result = await restore({
    imgDir,
    criuArgs,
    native: trace === undefined,
    ...(kernel !== undefined ? { kernel } : {}),
    ...(criu !== undefined ? { criu } : {}),
    ...(trace !== undefined ? { traceFile: trace } : {}),
    notice: (line) => quiet || process.stderr.write(`cr-shim: ${line}\n`),
    prepare: (release) => prepareSession(release, { view: { identityMounted: false, ioUring: flag(p.options['allow-io-uring']) } }),
  });
  if (flag(p.options.stats)) process.stderr.write(formatStats(result.stats, result.native, result.session.routes));
  if (result.status === undefined) {
    // Only if the root was reaped by someone else: it is our child, so this should not happen.
    process.stderr.write(`cr-shim: restore: the exit status of process ${result.root} could not be read\n`);
    return 0;
  }
  return result.status;
}
