/**
 * The names the BPF tools accept for `--arch`: cr-shim's own ABI names and the
 * ones libseccomp (`scmp_sys_resolver -a`, SCMP_ARCH_*) and seccomp-tools
 * (`--arch`) use, so a command line copied from either works here.
 *
 * x32 is no AUDIT_ARCH of its own: an x32 process's calls reach seccomp with
 * AUDIT_ARCH_X86_64 and __X32_SYSCALL_BIT (0x40000000) set in the number
 * (arch/x86/include/uapi/asm/unistd.h). Its numbers are x86_64's for the
 * common calls and 512 and up for the compat ones, and cr-shim has no x32
 * table, so x32 calls are given by number.
 */
import { ARCHES, AUDIT_ARCH, X32_SYSCALL_BIT, type Arch } from '../arch.js';
import { UsageError } from '../errors.js';

/** An ABI as the BPF tools see it: the table arch, and whether calls carry the x32 bit. */
export interface BpfAbi {
  /** The name as given on the command line. */
  name: string;
  arch: Arch;
  x32: boolean;
}

/** Every accepted name, with who uses it. Data, read by resolveAbi and the usage text. */
export const ABI_NAMES: readonly { name: string; arch: Arch; x32?: true; usedBy: string }[] = [
  { name: 'x86_64', arch: 'x86_64', usedBy: 'cr-shim, libseccomp, the kernel' },
  { name: 'amd64', arch: 'x86_64', usedBy: 'seccomp-tools, Debian, Go' },
  { name: 'ia32', arch: 'ia32', usedBy: 'cr-shim, the kernel (compat entry points)' },
  { name: 'x86', arch: 'ia32', usedBy: 'libseccomp' },
  { name: 'i386', arch: 'ia32', usedBy: 'seccomp-tools, Debian' },
  { name: 'x32', arch: 'x86_64', x32: true, usedBy: 'libseccomp, the kernel' },
  { name: 'aarch64', arch: 'aarch64', usedBy: 'cr-shim, libseccomp, seccomp-tools' },
  { name: 'arm64', arch: 'aarch64', usedBy: 'Debian, Go, the kernel (arch/arm64)' },
];

/** The accepted names, for usage text: "x86_64 (amd64), x32, ia32 (x86, i386), aarch64 (arm64)"; without x32 for the table-naming tools. */
export function abiNamesText(opts: { x32: boolean } = { x32: true }): string {
  const groups: string[] = [];
  for (const arch of ARCHES) {
    const [first, ...more] = ABI_NAMES.filter((n) => n.arch === arch && !n.x32).map((n) => n.name);
    groups.push(more.length > 0 ? `${first} (${more.join(', ')})` : first!);
    if (arch === 'x86_64' && opts.x32) groups.push(...ABI_NAMES.filter((n) => n.x32).map((n) => n.name));
  }
  return groups.join(', ');
}

/** Resolve a name from ABI_NAMES, in any case. Throws UsageError naming `op`. */
export function resolveAbi(op: string, name: string): BpfAbi {
  const row = ABI_NAMES.find((n) => n.name === name.toLowerCase());
  if (row === undefined) throw new UsageError(op, `unknown arch ${name}`, { code: 'EUSAGE', hint: `one of ${abiNamesText()}` });
  return { name, arch: row.arch, x32: row.x32 === true };
}

/** Like resolveAbi, for the tools that name calls from a table: x32 has none, so it is refused. */
export function resolveTableAbi(op: string, name: string): Arch {
  const abi = resolveAbi(op, name);
  if (abi.x32) {
    throw new UsageError(op, `--arch ${name}: cr-shim has no x32 syscall table to name calls with`, {
      code: 'EUSAGE',
      hint: 'use --arch x86_64 (x32 numbers are x86_64\'s with 0x40000000 set), or bpf emu --arch x32 with a syscall number',
    });
  }
  return abi.arch;
}

/**
 * seccomp_data.arch and .nr for a call of this ABI. `nr` is the number as the
 * user wrote it; for x32 the x32 bit is added when absent (so `read` is 0 or 0x40000000).
 */
export function seccompCall(abi: BpfAbi, nr: number): { arch: number; nr: number } {
  return { arch: AUDIT_ARCH[abi.arch], nr: abi.x32 ? (nr | X32_SYSCALL_BIT) >>> 0 : nr };
}
