/**
 * SECCOMP_MODE_STRICT under the shim. The kernel refuses strict mode to a task that already has
 * a filter (kernel/seccomp.c seccomp_may_assign_mode), and a program under cr-shim always has
 * one; so the two calls that ask for it, prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) and
 * seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL), go to the supervisor, where the native loop
 * (NativeKind.enterStrict) has cr-shim-strict (native/strict-mode.c) put an equivalent filter on
 * the calling thread alone (read, write, exit, rt_sigreturn allowed; every other call to a
 * listener of its own, which the loop answers with the death strict mode gives), and the call
 * returns 0. Every other prctl and seccomp call stays in BPF as before.
 *
 * With `--trace` (no native verdicts) the TypeScript handler starts the same helper. Under the
 * ptrace mechanism the helper cannot seize a task cr-shim already traces, and the sigsys
 * mechanism's filter is the program's own: there the request is answered EINVAL, what the kernel
 * answers any task under a filter.
 */
import fs from 'node:fs';
import { loadAddon } from '../native/addon.js';
import { STRICT_HELPER_PATH } from '../native/strict-filter.js';
import { NativeKind } from '../native/addon-types.js';
import { E } from '../native/errno.js';
import type { Arch } from '../arch.js';
import type { ArgRule } from '../plan/types.js';
import type { Handler } from './types.js';

/** include/uapi/linux/prctl.h, include/uapi/linux/seccomp.h. */
const PR_SET_SECCOMP = 22;
const SECCOMP_MODE_STRICT = 1;
const SECCOMP_SET_MODE_STRICT = 0;

/** The form the native loop checks the arguments by (native/strict-client.h enum strict_form). */
const FORM: Readonly<Record<string, number>> = { prctl: 0, seccomp: 1 };

export const STRICT_MODE_HANDLER = 'strict-mode';

/**
 * Does the call ask for strict mode? The filter compares low halves only, so other forms arrive
 * too: prctl's option is an int and its mode an unsigned long (kernel/sys.c prctl_set_seccomp);
 * seccomp's op and flags are unsigned int, and strict mode wants flags 0 and a NULL pointer.
 * The same test as native/notify-core.c asks_strict.
 */
export function asksStrict(form: number, args: readonly bigint[]): boolean {
  const low = (x: bigint | undefined): bigint => BigInt.asUintN(32, x ?? 0n);
  if (form === FORM.prctl) return low(args[0]) === BigInt(PR_SET_SECCOMP) && args[1] === BigInt(SECCOMP_MODE_STRICT);
  return low(args[0]) === BigInt(SECCOMP_SET_MODE_STRICT) && low(args[1]) === 0n && args[2] === 0n;
}

/**
 * Does the thread run under a filter of the program's own? cr-shim puts exactly one filter in each
 * thread's chain (run's launcher, or the one restore and attach inject; an image's old copy is
 * dropped), so a second in /proc/TID/status "Seccomp_filters:" is the program's, and its kernel
 * would refuse strict mode (EINVAL). The same test as native/notify-core.c filter_count.
 */
function hasOwnFilter(tid: number): boolean {
  try {
    return Number(/^Seccomp_filters:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${tid}/status`, 'utf8'))?.[1] ?? 0) > 1;
  } catch {
    return false;
  }
}

export const strictMode: Handler = {
  id: STRICT_MODE_HANDLER,
  handle(call) {
    const form = FORM[call.name];
    // Another form of the call: the kernel answers it (EINVAL), as any filtered task's.
    if (form === undefined || !asksStrict(form, call.args)) return { kind: 'continue' };
    if (hasOwnFilter(call.pid)) return { kind: 'error', errno: E.EINVAL! };
    // Through the C client, not child_process: cr-shim's reaper may take the helper's status first (native/strict-client.c).
    // Done: the helper interrupted the notification and the call returns 0; this answer then finds it gone.
    if (loadAddon().strictEnter(STRICT_HELPER_PATH, call.pid) === 0) return { kind: 'return', val: 0n };
    return { kind: 'error', errno: E.EINVAL! };
  },
  nativeDefers: true,
  native(_arch, _nr, name) {
    const form = FORM[name];
    return form === undefined ? undefined : { kind: NativeKind.enterStrict, arg: form, helper: STRICT_HELPER_PATH };
  },
};

/**
 * The argument rules that send a strict-mode request to the supervisor, for every persona (the
 * kernel's refusal is the host's, whatever kernel is presented). The filter compares low 32
 * bits: the loop checks the full arguments and lets any other form run (the kernel's EINVAL).
 * x86_64 only: the ia32 numbers are not trapped (this host has no ia32 emulation to test them),
 * so an ia32 program's request still fails with EINVAL.
 */
export function strictModeRules(arch: Arch, syscall: string): ArgRule[] {
  if (arch !== 'x86_64') return [];
  const notify = { kind: 'notify', handler: STRICT_MODE_HANDLER } as const;
  if (syscall === 'prctl')
    return [{ arg: 0, match: { kind: 'in', values: [PR_SET_SECCOMP] }, when: { arg: 1, equals: SECCOMP_MODE_STRICT }, action: notify, reason: 'PR_SET_SECCOMP, SECCOMP_MODE_STRICT: an equivalent filter on the calling thread' }];
  if (syscall === 'seccomp')
    return [{ arg: 0, match: { kind: 'in', values: [SECCOMP_SET_MODE_STRICT] }, action: notify, reason: 'SECCOMP_SET_MODE_STRICT: an equivalent filter on the calling thread' }];
  return [];
}
