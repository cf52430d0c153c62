/**
 * Capability names by number (include/uapi/linux/capability.h; 38..40 arrived in 5.8 and 5.9),
 * and what the host can grant: a capability outside this process's bounding set can never be
 * held here, not even by root (this VM's root lacks CAP_SYS_RESOURCE).
 *
 *   /proc/PID/status  LINE ::= "CapBnd:\t" HEX16 "\n" | ...   (also CapInh, CapPrm, CapEff, CapAmb)
 */
import fs from 'node:fs';
import { ShimError, UsageError } from '../errors.js';

const NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** "CAP_SYS_RESOURCE" for 24; "CAP_63" for a number without a name. */
export function capName(n: number): string {
  return NAMES[n] ?? `CAP_${n}`;
}

/** The numbers of the bits set in `mask`, ascending. */
export function capNumbers(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 0; mask >> BigInt(n) !== 0n; n++) if ((mask >> BigInt(n)) & 1n) out.push(n);
  return out;
}

/** The names of the capabilities in `mask`, by number. */
export function capNames(mask: bigint): string[] {
  return capNumbers(mask).map(capName);
}

/**
 * A mask from names: "CAP_SYS_RESOURCE", "sys_resource", "cap_sys_resource" or a number, one per
 * entry or comma-separated. Throws UsageError naming the unknown one.
 */
export function parseCaps(specs: readonly string[]): bigint {
  let mask = 0n;
  for (const spec of specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const upper = spec.toUpperCase();
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    let n = (NAMES as readonly string[]).indexOf(name);
    if (n < 0 && /^(CAP_)?\d+$/.test(upper)) n = Number(upper.replace('CAP_', ''));
    if (n < 0 || n > 63) {
      throw new UsageError('parse capabilities', `unknown capability ${spec}`, { code: 'EUSAGE', hint: 'name one as in capabilities(7), e.g. CAP_SYS_RESOURCE' });
    }
    mask |= 1n << BigInt(n);
  }
  return mask;
}

export interface HostCaps {
  /** The bounding set of this process: what any task here, root included, can hold. */
  bounding: bigint;
  /** Where it was read, for reports. */
  source: string;
}

/** This host's grantable capabilities, from /proc/self/status CapBnd. */
export function hostCaps(statusFile = '/proc/self/status'): HostCaps {
  const text = fs.readFileSync(statusFile, 'utf8');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text);
  if (m?.[1] === undefined) throw new ShimError('read host capabilities', `${statusFile} has no CapBnd line`, { code: 'ENOTSUP' });
  return { bounding: BigInt(`0x${m[1]}`), source: `${statusFile} CapBnd` };
}
