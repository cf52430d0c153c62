/**
 * The syscall ABIs cr-shim knows. An ABI is what a table describes: x86_64 and
 * ia32 (32-bit processes on a 64-bit x86 kernel) share one host; aarch64 is data only.
 */
export const ARCHES = ['x86_64', 'ia32', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

/** AUDIT_ARCH_* values from <linux/audit.h>: what seccomp_data.arch holds. */
export const AUDIT_ARCH: Record<Arch, number> = {
  x86_64: 0xc000003e, // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
  ia32: 0x40000003, // EM_386 | __AUDIT_ARCH_LE
  aarch64: 0xc00000b7, // EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
};

/** x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** The ABIs a filter on this host must handle, in the order the filter tests them. */
export const HOST_ARCHES: readonly Arch[] = ['x86_64', 'ia32'];

export function isArch(s: string): s is Arch {
  return (ARCHES as readonly string[]).includes(s);
}

/** Reverse of AUDIT_ARCH, for decoding seccomp_data.arch. */
export function archFromAudit(audit: number): Arch | undefined {
  for (const a of ARCHES) if (AUDIT_ARCH[a] === audit >>> 0) return a;
  return undefined;
}
