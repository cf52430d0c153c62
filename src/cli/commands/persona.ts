/** `cr-shim persona capture --from PROBE_OUTPUT [--package P --package-version V --suite S] [--out FILE]` */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandSpec, Parsed } from '../args.js';
import { str } from '../args.js';
import { ShimError, UsageError } from '../../errors.js';
import { capturePersona } from '../../persona/capture.js';
import { personaFileName, validatePersonaFile } from '../../persona/file.js';
import { parseProbeOutput } from '../../persona/probe-result.js';
import { TableRegistry } from '../../tables/registry.js';
import { writeStdout } from '../stdout.js';

export const personaSpec: CommandSpec = {
  name: 'persona',
  usage: 'cr-shim persona capture --from FILE [--package NAME --package-version V --suite SUITE] [--method TEXT] [--out FILE]',
  summary: 'Record a real kernel\'s identity and probed syscall surface as tables/personas/<release>.json.',
  options: [
    { name: 'from', value: 'FILE', help: 'the oracle probe\'s output on that kernel (test/oracle/probe.c; - for stdin)' },
    { name: 'package', value: 'NAME', help: 'the distribution package the kernel came from' },
    { name: 'package-version', value: 'V', help: 'its version' },
    { name: 'suite', value: 'SUITE', help: 'its distribution suite (bookworm)' },
    { name: 'method', value: 'TEXT', help: 'how the probe ran (default: "oracle probe, all-zero arguments")' },
    { name: 'out', value: 'FILE', help: 'where to write (default: tables/personas/<release>.json)' },
  ],
};

export async function personaCommand(p: Parsed): Promise<number> {
  const [verb, ...extra] = p.positionals;
  if (verb !== 'capture' || extra.length > 0) {
    throw new UsageError('persona', verb === undefined ? 'no subcommand given' : `unknown subcommand ${[verb, ...extra].join(' ')}`, { code: 'EUSAGE', hint: `usage: ${personaSpec.usage}` });
  }
  const from = str(p.options.from);
  if (from === undefined) throw new UsageError('persona capture', 'no probe output given', { code: 'EUSAGE', hint: 'pass --from FILE (the oracle probe\'s stdout on the kernel to capture)' });
  let text: string;
  try {
    text = fs.readFileSync(from === '-' ? 0 : from, 'utf8');
  } catch (cause) {
    throw new ShimError('persona capture', `cannot read ${from}`, { cause, code: (cause as NodeJS.ErrnoException).code, hint: 'pass the file the probe\'s stdout went to' });
  }
  const probe = parseProbeOutput(text, from);
  const pkg = str(p.options.package);
  const suite = str(p.options.suite);
  const version = str(p.options['package-version']);
  const persona = capturePersona(probe, new TableRegistry(), {
    kind: pkg ? 'debian-package' : probe.release === os.release() ? 'host' : 'other',
    ...(suite ? { suite } : {}),
    ...(pkg ? { package: pkg } : {}),
    ...(version ? { packageVersion: version } : {}),
    method: str(p.options.method) ?? 'oracle probe (test/oracle/probe.c), all-zero arguments',
  });
  const out = str(p.options.out) ?? personaFileName(persona.release);
  validatePersonaFile(persona, out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(persona, null, 2)}\n`);
  await writeStdout(`${out}: ${persona.release} (${persona.mainline}); ${persona.probe.absent.length} absent, ${persona.probe.extra.length} extra against the ${persona.mainline} table\n`);
  return 0;
}
