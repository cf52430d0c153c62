/**
 * The credentials of a supervised task, from /proc/PID/status. The supervisor
 * runs as root; handlers use these to refuse what the task itself could not do.
 *
 * /proc/PID/status lines used (fs/proc/array.c):
 *   Uid:\t<real>\t<effective>\t<saved>\t<fs>
 *   Gid:\t<real>\t<effective>\t<saved>\t<fs>
 *   Groups:\t<gid> <gid> ...
 *   CapEff:\t<16 hex digits>
 */
import fs from 'node:fs';

export interface TraceeCreds {
  euid: number;
  egid: number;
  fsuid: number;
  groups: number[];
  capEff: bigint;
}

/** Capability numbers from <linux/capability.h> that handlers check. */
export const CAP = { NET_ADMIN: 12, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_ADMIN: 21, SYS_BOOT: 22 } as const;

export function parseStatus(text: string): TraceeCreds {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
    if (!m || m[1] === undefined) throw new Error(`/proc status has no ${name} line`);
    return m[1].trim();
  };
  const uids = field('Uid').split(/\s+/).map(Number);
  const gids = field('Gid').split(/\s+/).map(Number);
  const groups = field('Groups').split(/\s+/).filter(Boolean).map(Number);
  return {
    euid: uids[1] ?? 0,
    fsuid: uids[3] ?? 0,
    egid: gids[1] ?? 0,
    groups,
    capEff: BigInt('0x' + field('CapEff')),
  };
}

/** Read a task's credentials; null when the task is gone. */
export function readCreds(pid: number): TraceeCreds | null {
  try {
    return parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

export function hasCap(c: TraceeCreds, cap: number): boolean {
  return ((c.capEff >> BigInt(cap)) & 1n) === 1n;
}

/**
 * Whether task `pid` is in the supervisor's user namespace: only then do its capabilities count
 * where the kernel checks them against the initial namespace (capable()) or ours.
 */
export function sameUserns(pid: number): boolean {
  try {
    return fs.statSync(`/proc/${pid}/ns/user`).ino === fs.statSync('/proc/self/ns/user').ino;
  } catch {
    return false;
  }
}

/**
 * capable(cap) as the kernel checks it for task `pid`: the capability in its effective set, and
 * the task in the initial user namespace (ours: the supervisor runs there). False when it is gone.
 */
export function capableInInit(pid: number, cap: number): boolean {
  const creds = readCreds(pid);
  return creds !== null && hasCap(creds, cap) && sameUserns(pid);
}
