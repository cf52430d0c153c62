/**
 * The two numbers the "refused with ENOSYS" scenario times. Under a filter: a
 * syscall this host has but the persona lacks, so the persona's BPF refuses it
 * (the call never reaches the kernel's table). Natively: a number this kernel
 * never implemented, so the kernel's own table refuses it. Both answer ENOSYS;
 * the difference is the cost of deciding in BPF.
 */
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { SyscallTable } from '../tables/types.js';

const ENOSYS = 38;

/**
 * Host syscalls tried in order as the persona-refused call: each is harmless
 * with all-zero arguments (if it does run, it fails: EFAULT, EINVAL, EBADF) and
 * is outside test/programs/syscall-deny.h. Newest first, so that recent
 * personas still lack one of them.
 */
export const REFUSED_CANDIDATES = ['cachestat', 'futex_waitv', 'process_mrelease', 'epoll_pwait2', 'close_range', 'pidfd_open', 'statx', 'getrandom'];

/**
 * A slot x86_64 reserved and never implemented (tuxcall, 184): the kernel's
 * syscall table maps it to sys_ni_syscall, which returns ENOSYS.
 */
export const NATIVE_UNIMPLEMENTED = { nr: 184, name: 'tuxcall' } as const;

export interface RefusedCall {
  nr: number;
  name: string;
}

/**
 * The first candidate that the plan refuses in BPF with ENOSYS because the
 * persona lacks it (basis "absent"). Throws UsageError naming the persona when
 * it lacks none of them (it is as new as the host).
 */
export function pickRefusedCall(plan: Plan, candidates: readonly string[] = REFUSED_CANDIDATES): RefusedCall {
  const ap = plan.arches.find((a) => a.arch === 'x86_64');
  for (const name of candidates) {
    const e = ap?.entries.find((x) => x.name === name);
    if (e && e.basis === 'absent' && e.action.kind === 'errno' && e.action.errno === ENOSYS) return { nr: e.nr, name: e.name };
  }
  throw new UsageError('ENOSYS scenario', `persona ${plan.persona} has every syscall of ${candidates.join(', ')}: nothing for the ENOSYS scenario to time`, {
    code: 'EUSAGE',
    hint: 'pick an older --kernel (before 6.5)',
  });
}

/** Throws UsageError if the host's table implements the "never implemented" slot after all. */
export function checkUnimplemented(hostTable: SyscallTable, slot: RefusedCall = NATIVE_UNIMPLEMENTED): RefusedCall {
  const e = hostTable.syscalls.find((x) => x.nr === slot.nr);
  if (e && e.status !== 'removed') {
    throw new UsageError('ENOSYS scenario', `x86_64 ${hostTable.release} implements nr ${slot.nr} (${e.name}): not a never-implemented slot`, {
      code: 'EUSAGE',
      hint: 'update NATIVE_UNIMPLEMENTED in src/bench/refused-call.ts',
    });
  }
  return slot;
}
