/**
 * madvise(MADV_HWPOISON, MADV_SOFT_OFFLINE) on a host built without CONFIG_MEMORY_FAILURE.
 * Such a kernel's madvise_behavior_valid() refuses both with EINVAL; a kernel with it (Debian's
 * builds) made these checks in do_madvise() (mm/madvise.c) before it injected anything:
 *   start not page-aligned                       → EINVAL
 *   len rounds up to 0 from a huge value         → EINVAL
 *   start + len wraps                            → EINVAL
 *   len 0 (after rounding)                       → 0, nothing done
 * then madvise_inject_error(): capable(CAP_SYS_ADMIN), else EPERM. Those answers are given here.
 * What passes them would poison or offline real pages, which this host's kernel cannot do: that
 * call goes on to the kernel, which answers it as it answers the advice (EINVAL).
 */
import { E } from '../native/errno.js';
import { CAP, capableInInit } from '../native/tracee-creds.js';
import type { Call, Handler, Reply } from './types.js';

/** x86_64's PAGE_SIZE. */
const PAGE = 4096n;
const MASK64 = (1n << 64n) - 1n;

/** do_madvise()'s range checks for (start, len): the errno, 0 for an empty range, or undefined to go on. */
export function rangeCheck(start: bigint, lenIn: bigint): number | 0 | undefined {
  if ((start & (PAGE - 1n)) !== 0n) return E.EINVAL!;
  const len = (lenIn + PAGE - 1n) & ~(PAGE - 1n) & MASK64;
  if (lenIn !== 0n && len === 0n) return E.EINVAL!;
  const end = (start + len) & MASK64;
  if (end < start) return E.EINVAL!;
  return end === start ? 0 : undefined;
}

export const madviseMemoryFailure: Handler = {
  id: 'madvise-memory-failure',
  handle(call: Call): Reply {
    const checked = rangeCheck(BigInt.asUintN(64, call.args[0]!), BigInt.asUintN(64, call.args[1]!));
    if (checked === 0) return { kind: 'return', val: 0n };
    if (checked !== undefined) return { kind: 'error', errno: checked };
    if (!capableInInit(call.pid, CAP.SYS_ADMIN)) return { kind: 'error', errno: E.EPERM! };
    return { kind: 'continue' };
  },
};
