/**
 * `cr-shim bpf disasm|asm|emu|dump`: classic BPF seccomp filters in and out of
 * cr-shim's notation (seccomp-tools' style), run on one syscall, or read from
 * a live task or a CRIU image.
 *
 * Exit status: 0 done; 1 the input was refused (unreadable, truncated, an
 * invalid program, no such task, a kernel refusal), with one line on stderr
 * naming the input; 2 usage.
 */
import fs from 'node:fs';
import type { Arch } from '../../arch.js';
import { BpfError, ShimError, UsageError } from '../../errors.js';
import { abiNamesText, resolveAbi, resolveTableAbi, seccompCall, type BpfAbi } from '../../bpf/abi-names.js';
import { disasm, returnName } from '../../bpf/disasm.js';
import type { DisasmOptions } from '../../bpf/disasm.js';
import { dumpJson, dumpText } from '../../bpf/dump-report.js';
import type { DumpSource } from '../../bpf/dump-report.js';
import { emulate } from '../../bpf/emulate.js';
import { encode } from '../../bpf/encode.js';
import { shareChains, shareLinked } from '../../bpf/filter-sharing.js';
import type { Sharing } from '../../bpf/filter-sharing.js';
import { assembleInput, decodeInput, isRaw, loadInput, readInput, validateInput } from '../../bpf/input.js';
import { actionOf, SECCOMP_RET_DATA } from '../../bpf/insn.js';
import { fmtHex } from '../../bpf/notation.js';
import { tableNaming } from '../../bpf/syscall-names.js';
import type { SyscallNaming } from '../../bpf/syscall-names.js';
import { commOf, readThreadFilters, threadsOf } from '../../bpf/task-filters.js';
import { TableRegistry } from '../../tables/registry.js';
import { flag, helpText, parseArgs, str } from '../args.js';
import type { CommandSpec, OptionSpec, Parsed } from '../args.js';
import { writeStdout } from '../stdout.js';
import { errorLine } from '../error-line.js';

const KERNEL: OptionSpec = { name: 'kernel', value: 'RELEASE', help: 'name syscalls with this release\'s tables (default: this host\'s)' };
const ARCH: OptionSpec = { name: 'arch', value: 'ARCH', help: `assume this ABI before the filter checks one (${abiNamesText({ x32: false })})` };

interface Sub {
  spec: CommandSpec;
  run: (p: Parsed) => Promise<number>;
}

const disasmSpec: CommandSpec = {
  name: 'bpf disasm',
  usage: 'cr-shim bpf disasm [FILE|-] [--kernel RELEASE] [--arch ARCH]',
  summary: 'Print raw struct sock_filter bytes (FILE, or stdin) one instruction a line: line, CODE, JT, JF, K and the statement.',
  options: [KERNEL, ARCH],
};
const asmSpec: CommandSpec = {
  name: 'bpf asm',
  usage: 'cr-shim bpf asm FILE|- [-o OUT] [--kernel RELEASE] [--arch ARCH] [--allow-invalid]',
  summary: 'Turn the notation bpf disasm prints back into raw bytes (to OUT, or to stdout unless it is a terminal).',
  options: [
    { name: 'output', value: 'OUT', help: 'write the bytes to OUT (also -o OUT)' },
    KERNEL,
    ARCH,
    { name: 'allow-invalid', help: 'write a program the kernel would refuse (for tests of refusals)' },
  ],
};
const emuSpec: CommandSpec = {
  name: 'bpf emu',
  usage: 'cr-shim bpf emu FILE --arch ARCH SYSCALL [ARG...] [--path] [--ip N] [--kernel RELEASE]',
  summary: 'Run a filter (raw or notation) on one syscall, by name or number, and print its verdict: ALLOW, ERRNO(38), USER_NOTIF, ...',
  options: [
    { name: 'arch', value: 'ARCH', help: `the syscall's ABI (${abiNamesText()}; default x86_64; x32 takes a syscall number)` },
    { name: 'path', help: 'also print the instructions executed, in order' },
    { name: 'ip', value: 'N', help: 'seccomp_data.instruction_pointer (default 0)' },
    KERNEL,
  ],
};
const dumpSpec: CommandSpec = {
  name: 'bpf dump',
  usage: 'cr-shim bpf dump PID|IMG [--all-threads] [--json] [--kernel RELEASE] [--arch ARCH]',
  summary: 'Print every seccomp filter of a live task (read with ptrace; needs CAP_SYS_ADMIN) or of a CRIU image directory, and which threads or tasks hold each.',
  options: [
    { name: 'all-threads', help: 'read every thread of PID, not only PID itself' },
    { name: 'json', help: 'JSON: holders and filters, bytes as hex' },
    KERNEL,
    ARCH,
  ],
};

const SUBS: Record<string, Sub> = {
  disasm: { spec: disasmSpec, run: disasmCommand },
  asm: { spec: asmSpec, run: asmCommand },
  emu: { spec: emuSpec, run: emuCommand },
  dump: { spec: dumpSpec, run: dumpCommand },
};

export const bpfSpec: CommandSpec = {
  name: 'bpf',
  usage: [disasmSpec, asmSpec, emuSpec, dumpSpec].map((s) => s.usage).join('\n       '),
  summary: 'Disassemble, assemble, emulate and dump classic BPF seccomp filters.',
  // The subcommand parses its own options.
  stopAtPositional: true,
  options: [
    { name: 'kernel', value: 'RELEASE', help: 'name syscalls with this release\'s tables (default: this host\'s)' },
    { name: 'arch', value: 'ARCH', help: 'disasm, asm, dump: ABI assumed before the filter checks one; emu: the syscall\'s ABI' },
    { name: 'output', value: 'OUT', help: 'asm: write the bytes to OUT (also -o OUT)' },
    { name: 'allow-invalid', help: 'asm: write a program the kernel would refuse' },
    { name: 'path', help: 'emu: print the instructions executed' },
    { name: 'ip', value: 'N', help: 'emu: seccomp_data.instruction_pointer' },
    { name: 'all-threads', help: 'dump: every thread of PID' },
    { name: 'json', help: 'dump: JSON output' },
  ],
};

/**
 * Write to stdout and wait until it is handed to the kernel: the entry point
 * exits right after the command returns, and a pipe takes only 64 KiB at once.
 */
export function writeOut(data: string | Buffer): Promise<void> {
  return writeStdout(data);
}

/** One line on stderr in the entry point's format; exit status 1 (the filter was refused). */
export function refuse(err: ShimError): number {
  process.stderr.write(errorLine(err));
  return 1;
}

export async function bpfCommand(p: Parsed): Promise<number> {
  const [name, ...rest] = p.positionals;
  const sub = name === undefined ? undefined : SUBS[name];
  if (!sub) {
    throw new UsageError('bpf', name === undefined ? 'no subcommand given' : `unknown subcommand ${name}`, {
      code: 'EUSAGE',
      hint: `one of ${Object.keys(SUBS).join(', ')}; cr-shim bpf --help`,
    });
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    await writeOut(helpText(sub.spec));
    return 0;
  }
  // args.ts knows only long options: -o is asm's one short option.
  const argv = rest.map((a) => (a === '-o' ? '--output' : a));
  try {
    // Options given before the subcommand (`cr-shim bpf --kernel 4.19 disasm`) count too.
    const parsed = parseArgs(sub.spec, argv);
    return await sub.run({ positionals: parsed.positionals, options: { ...p.options, ...parsed.options } });
  } catch (err) {
    // Exit 1 is a verdict on the filter itself; a file, process or image that is not there is 125.
    if (err instanceof BpfError) return refuse(err);
    throw err;
  }
}

function archOption(p: Parsed, cmd: string): Arch | undefined {
  const a = str(p.options.arch);
  if (a === undefined) return undefined;
  return resolveTableAbi(cmd, a);
}

function naming(p: Parsed): SyscallNaming {
  return tableNaming(new TableRegistry(), str(p.options.kernel));
}

function disasmOptions(p: Parsed, cmd: string): DisasmOptions {
  const arch = archOption(p, cmd);
  return { syscallName: naming(p).syscallName, ...(arch ? { arch } : {}) };
}

function onePositional(p: Parsed, spec: CommandSpec, required: boolean): string | undefined {
  if (p.positionals.length > 1) throw new UsageError(spec.name, `unexpected argument ${p.positionals[1]}`, { code: 'EUSAGE', hint: `usage: ${spec.usage}` });
  if (required && p.positionals.length === 0) throw new UsageError(spec.name, 'no FILE given', { code: 'EUSAGE', hint: `usage: ${spec.usage}` });
  return p.positionals[0];
}

async function disasmCommand(p: Parsed): Promise<number> {
  const op = 'bpf disasm';
  const input = await readInput(op, onePositional(p, disasmSpec, false));
  if (input.bytes.length > 0 && !isRaw(input.bytes)) {
    throw new BpfError(op, `${input.name}: holds text, not raw struct sock_filter bytes`, { code: 'EINVAL', hint: 'assemble it with cr-shim bpf asm' });
  }
  const insns = decodeInput(op, input);
  await writeOut(disasm(insns, disasmOptions(p, op)));
  // Shown even when invalid (that is when one looks), but the verdict is an error.
  validateInput(op, input, insns);
  return 0;
}

async function asmCommand(p: Parsed): Promise<number> {
  const op = 'bpf asm';
  const input = await readInput(op, onePositional(p, asmSpec, true));
  const out = str(p.options.output);
  if (out === undefined && process.stdout.isTTY) {
    throw new UsageError(op, 'refusing to write binary to a terminal', { code: 'EUSAGE', hint: 'give -o OUT or redirect stdout' });
  }
  const arch = archOption(p, op);
  const insns = assembleInput(op, input, { syscallNumber: naming(p).syscallNumber, ...(arch ? { arch } : {}) });
  if (!flag(p.options['allow-invalid'])) validateInput(op, input, insns);
  const bytes = encode(insns);
  if (out === undefined) {
    await writeOut(bytes);
    return 0;
  }
  try {
    fs.writeFileSync(out, bytes);
  } catch (cause) {
    throw new ShimError(op, `${out}: cannot write (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
  return 0;
}

const INT = /^-?(0x[0-9a-f]+|\d+)$/i;

/** A 64-bit register value: decimal, 0x hex, or negative (two's complement). */
function int64(s: string, what: string): bigint {
  if (!INT.test(s)) throw new UsageError('bpf emu', `${what} '${s}' is not an integer`, { code: 'EUSAGE', hint: 'write decimal, 0x hex or a negative number' });
  const v = s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new UsageError('bpf emu', `${what} ${s} does not fit in 64 bits`, { code: 'EUSAGE' });
  return BigInt.asUintN(64, v);
}

function syscallNr(s: string, abi: BpfAbi, names: SyscallNaming): number {
  if (INT.test(s)) {
    const v = int64(s, 'syscall number');
    // seccomp_data.nr is an int: the kernel passes the low 32 bits.
    return Number(BigInt.asUintN(32, v));
  }
  if (abi.x32) {
    throw new UsageError('bpf emu', `--arch ${abi.name}: cr-shim has no x32 syscall table to look ${s} up in`, {
      code: 'EUSAGE',
      hint: 'give the x32 syscall number (the 0x40000000 bit is added)',
    });
  }
  const arch = abi.arch;
  const nr = names.syscallNumber(arch, s);
  if (nr === undefined) {
    throw new UsageError('bpf emu', `no ${arch} syscall named ${s} in the tables of ${names.releases[arch] ?? 'any release'}`, {
      code: 'EUSAGE',
      hint: 'give its number instead, or --kernel a release that has it',
    });
  }
  return nr;
}

async function emuCommand(p: Parsed): Promise<number> {
  const op = 'bpf emu';
  const [file, call, ...args] = p.positionals;
  if (file === undefined || call === undefined) throw new UsageError(op, 'needs FILE and SYSCALL', { code: 'EUSAGE', hint: `usage: ${emuSpec.usage}` });
  if (args.length > 6) throw new UsageError(op, `${args.length} arguments; a syscall has at most 6`, { code: 'EUSAGE' });
  const given = str(p.options.arch);
  const abi = resolveAbi(op, given ?? 'x86_64');
  const names = naming(p);
  const data = seccompCall(abi, syscallNr(call, abi, names));
  const ip = str(p.options.ip);
  const input = await readInput(op, file);
  // Text notation names syscalls for the arch it checks; assume the one asked for.
  const insns = loadInput(op, input, { syscallNumber: names.syscallNumber });
  validateInput(op, input, insns);
  const v = emulate(insns, { nr: data.nr, arch: data.arch, args: args.map((a, i) => int64(a, `argument ${i}`)), ...(ip ? { ip: int64(ip, 'ip') } : {}) });
  const out = [verdictText(v.value)];
  if (flag(p.options.path)) {
    const lines = disasm(insns, { syscallName: names.syscallName }).split('\n');
    for (const pc of v.path) out.push(lines[pc + 2]!);
  }
  await writeOut(`${out.join('\n')}\n`);
  return 0;
}

/** `ERRNO(38)`; an action the kernel does not define is KILL_PROCESS, with the raw value. */
function verdictText(value: number): string {
  if (actionOf(value).known) return returnName(value);
  return `KILL_PROCESS (return value ${fmtHex(value, 8)} is no action the kernel knows; data ${value & SECCOMP_RET_DATA})`;
}

async function dumpCommand(p: Parsed): Promise<number> {
  const op = 'bpf dump';
  const target = onePositional(p, dumpSpec, false);
  if (target === undefined) throw new UsageError(op, 'no PID or IMG given', { code: 'EUSAGE', hint: `usage: ${dumpSpec.usage}` });
  const arch = archOption(p, op);
  const opts: DisasmOptions = { syscallName: naming(p).syscallName, ...(arch ? { arch } : {}) };
  let source: DumpSource;
  let sharing: Sharing;
  let extra: Record<string, unknown>;
  if (isDirectory(target)) {
    const image = await readImage(target);
    sharing = shareLinked(image.filters, image.tasks);
    source = { title: `image ${target}`, holder: 'task', order: 'filter numbers as in seccomp.img, each chain oldest first' };
    extra = { image: target };
  } else if (/^\d+$/.test(target)) {
    const pid = Number(target);
    const tids = flag(p.options['all-threads']) ? threadsOf(pid) : [pid];
    const comm = commOf(pid);
    sharing = shareChains(readThreadFilters(tids));
    source = { title: `pid ${pid}${comm ? ` (${comm})` : ''}`, holder: 'thread', order: 'filter 0 is the oldest, the kernel runs every filter and the strictest verdict wins' };
    extra = { pid, comm };
  } else {
    throw new ShimError(op, `${target}: neither a process id nor a CRIU image directory`, { code: 'ENOENT', hint: 'give a PID or the directory cr-shim dump wrote' });
  }
  await writeOut(flag(p.options.json) ? `${JSON.stringify(dumpJson(source, sharing, extra), null, 2)}\n` : dumpText(source, sharing, opts));
  return 0;
}

/** The filters of a CRIU image directory, once it has been opened as one (refused with one line when it is not). */
async function readImage(dir: string): Promise<ReturnType<typeof import('../../criu/image/seccomp.js').readImageFilters>> {
  // Loaded only for image directories: the image reader is not part of every bpf command.
  const { openImageDir } = await import('../../criu/image-dir.js');
  const { readImageFilters } = await import('../../criu/image/seccomp.js');
  openImageDir(dir);
  return readImageFilters(dir);
}

function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

