/**
 * `cr-shim check IMG [--kernel RELEASE] [--criu PATH] [--json]`: what a restore of IMG on this
 * host would meet, before any restore (src/criu/check.ts builds it, check-text.ts prints it).
 *
 * Exit status: 0 restorable (perhaps after conversions); 1 something stands in the way
 * (a file that cannot move, a PID in use, criu check failing); 125 the image cannot be read,
 * or no usable criu (one line on stderr); 2 usage.
 */
import { UsageError } from '../../errors.js';
import { locateCriu } from '../../criu/binary.js';
import { checkImage } from '../../criu/check.js';
import { renderCheck } from '../../criu/check-text.js';
import { openImageDir } from '../../criu/image-dir.js';
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeStdout } from '../stdout.js';

export const checkSpec: CommandSpec = {
  name: 'check',
  usage: 'cr-shim check IMG [--kernel RELEASE] [--criu PATH] [--json]',
  summary: 'Report what a restore of image IMG on this host would meet: kernels, syscalls, what cannot move, conversions needed, criu check.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'the kernel the program expects (default: from IMG/cr-shim.json, else this host\'s)' },
    { name: 'criu', value: 'PATH', help: 'the criu to ask (default: $CR_SHIM_CRIU, the private root of scripts/setup-criu.sh, PATH)' },
    { name: 'json', help: 'print the report as JSON, for scripts' },
  ],
};

export async function checkCommand(p: Parsed): Promise<number> {
  const [imgDir, extra] = p.positionals;
  if (imgDir === undefined || extra !== undefined) throw new UsageError('check', 'needs exactly one image directory', { code: 'EUSAGE', hint: `usage: ${checkSpec.usage}` });
  // The image first: a directory that is no image is refused the same way with or without a criu.
  openImageDir(imgDir);
  const explicit = str(p.options.criu);
  const criu = await locateCriu(explicit === undefined ? {} : { explicit });
  const kernel = str(p.options.kernel);
  const report = await checkImage(imgDir, { criu, ...(kernel !== undefined ? { kernel } : {}) });
  const out = flag(p.options.json) ? `${JSON.stringify(report, null, 2)}\n` : renderCheck(report);
  await writeStdout(out);
  return report.restorable ? 0 : 1;
}
