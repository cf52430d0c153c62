/**
 * `cr-shim convert IMG OUT [--drop-caps CAPS]`: write IMG with the userspace conversions a restore
 * on this host needs (src/criu/convert.ts) to the new directory OUT. IMG is only read.
 *
 * Exit status: 0 written; 125 the image cannot be read or converted (one line on stderr, OUT
 * not created); 2 usage.
 */
import { UsageError } from '../../errors.js';
import { parseCaps } from '../../criu/capabilities.js';
import { convertImage, requiredConversions, withDroppedCaps } from '../../criu/convert.js';
import { openImageDir } from '../../criu/image-dir.js';
import type { CommandSpec, Parsed } from '../args.js';
import { flag } from '../args.js';
import { writeStdout } from '../stdout.js';

export const convertSpec: CommandSpec = {
  name: 'convert',
  usage: 'cr-shim convert IMG OUT [--drop-caps CAP[,CAP...]] [--copy-links] [--json]',
  summary: 'Write image IMG to the new directory OUT with the conversions a restore here needs (cr-shim\'s own filter and parent-death signal, capabilities the host cannot grant); IMG stays untouched.',
  options: [
    { name: 'drop-caps', value: 'CAPS', help: 'also drop these capabilities from every task (e.g. CAP_SYS_RESOURCE,sys_nice)', repeat: true },
    { name: 'copy-links', help: 'copy the content of symlinks inside IMG as plain files (default: refuse an image holding any)' },
    { name: 'json', help: 'print the conversions applied as JSON' },
  ],
};

export async function convertCommand(p: Parsed): Promise<number> {
  const [src, dst, extra] = p.positionals;
  if (src === undefined || dst === undefined || extra !== undefined) {
    throw new UsageError('convert', 'needs an image directory and a new output directory', { code: 'EUSAGE', hint: `usage: ${convertSpec.usage}` });
  }
  const asked = parseCaps((p.options['drop-caps'] as string[] | undefined) ?? []);
  const links = flag(p.options['copy-links']) ? 'copy-content' : 'refuse';
  openImageDir(src, undefined, { links });
  const conversions = withDroppedCaps(requiredConversions(src), asked);
  const result = convertImage(src, dst, conversions, { links });
  let out: string;
  if (flag(p.options.json)) {
    out = `${JSON.stringify({ source: src, output: dst, conversions, applied: result.applied, rewritten: result.rewritten }, null, 2)}\n`;
  } else if (result.applied.length === 0) {
    out = `no conversion needed: ${dst} is a copy of ${src}\n`;
  } else {
    out = result.applied.map((a) => `${a}\n`).join('') + `wrote ${dst} (rewrote ${result.rewritten.join(', ')}); ${src} is unchanged\n`;
  }
  await writeStdout(out);
  return 0;
}
