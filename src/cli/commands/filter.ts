/**
 * `cr-shim filter [--kernel RELEASE] [--dumpable] [--allow-io-uring] [--allow-tiocsti] [--arch ARCH] [--json]`:
 * the seccomp filter `cr-shim run --kernel RELEASE` would install (with the same
 * --dumpable, --allow-io-uring and --allow-tiocsti), disassembled, with the plan behind every
 * branch and return. With --dumpable it is also the filter of restore and attach.
 *
 * Exit status: 0; 1 when the filter cannot be built (one line on stderr);
 * 2 usage (an unknown release or arch).
 */
import { ARCHES, isArch } from '../../arch.js';
import { BpfError, ShimError, UsageError } from '../../errors.js';
import { abiNamesText, resolveTableAbi } from '../../bpf/abi-names.js';
import { filterJson, filterText } from '../../bpf/filter-report.js';
import { tableNaming } from '../../bpf/syscall-names.js';
import { flag, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import type { CommandSpec, Parsed } from '../args.js';
import { prepareSession } from '../../supervisor/session.js';
import { refuse, writeOut } from './bpf.js';

export const filterSpec: CommandSpec = {
  name: 'filter',
  usage: 'cr-shim filter [--kernel RELEASE] [--dumpable] [--allow-io-uring] [--allow-tiocsti] [--arch ARCH] [--json]',
  summary: 'Print the seccomp filter cr-shim installs for a kernel persona, with the plan behind each branch.',
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'kernel to present, as for cr-shim run (default: this host\'s)' },
    { name: 'dumpable', help: 'the filter of cr-shim run --dumpable, restore and attach (opens trapped: the identity files are answered by the supervisor); default: that of a plain run (identity files bind-mounted, opens not trapped)' },
    { name: 'allow-io-uring', help: 'as for cr-shim run: io_uring_setup left to the kernel' },
    { name: 'allow-tiocsti', help: 'as for cr-shim run: ioctl(TIOCSTI) sent to the supervisor under personas before 6.2' },
    { name: 'arch', value: 'ARCH', help: `only what applies to this ABI (${abiNamesText({ x32: false })})` },
    { name: 'json', help: 'JSON: the bytes as hex, every insn with its text and comment, the plan with its runs' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

export async function filterCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('filter', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${filterSpec.usage}` });
  const given = str(p.options.arch);
  const only = given === undefined ? undefined : resolveTableAbi('filter', given);
  let text: string;
  try {
    // The view a plain run as root takes (the filter command does not check for CAP_SYS_ADMIN: it prints, it does not launch).
    const view = { identityMounted: !flag(p.options.dumpable), ioUring: flag(p.options['allow-io-uring']) };
    const behaviourOptions = new Set(flag(p.options['allow-tiocsti']) ? ['tiocsti'] : []);
    const session = prepareSession(str(p.options.kernel), { checkHost: false, view, behaviourOptions, explain: true });
    if (!flag(p.options.quiet)) for (const n of session.notices) writeNotice(n);
    const facts = { persona: session.persona, host: session.host, plan: session.plan, program: session.program, filter: session.filter };
    const opts = { syscallName: tableNaming(session.registry, session.persona.mainline).syscallName, ...(only ? { only } : {}) };
    text = flag(p.options.json) ? `${JSON.stringify(filterJson(facts, opts), null, 2)}\n` : filterText(facts, opts);
  } catch (err) {
    if (err instanceof BpfError) return refuse(err);
    throw err;
  }
  await writeOut(text);
  return 0;
}
