/**
 * iopl(2) and ioperm(2) on a host built without CONFIG_X86_IOPL_IOPERM (both
 * answer ENOSYS here). A kernel that has them answers an unprivileged caller as
 * below (arch/x86/kernel/ioport.c); the shim gives those answers rather than
 * telling the program its kernel lacks the calls. The requests that would need
 * the privilege are refused, so no program gains I/O port access it could not have.
 */
import { E } from '../native/errno.js';
import type { Call, Handler, Reply } from './types.js';

const IO_BITMAP_BITS = 65536n;

export const iopl: Handler = {
  id: 'iopl',
  handle(call: Call): Reply {
    const level = call.args[0]! & 0xffffffffn;
    if (level > 3n) return { kind: 'error', errno: E.EINVAL! };
    // The task's current level is 0: lowering or keeping it is allowed, raising needs CAP_SYS_RAWIO.
    return level === 0n ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EPERM! };
  },
};

export const ioperm: Handler = {
  id: 'ioperm',
  handle(call: Call): Reply {
    const mask = call.arch === 'ia32' ? 0xffffffffn : 0xffffffffffffffffn;
    const from = call.args[0]! & mask;
    const num = call.args[1]! & mask;
    const turnOn = (call.args[2]! & 0xffffffffn) !== 0n;
    // ksys_ioperm: an empty or wrapping range, or one past the last port, is EINVAL.
    if (((from + num) & mask) <= from) return { kind: 'error', errno: E.EINVAL! };
    if (from + num > IO_BITMAP_BITS) return { kind: 'error', errno: E.EINVAL! };
    // Turning ports off that were never on succeeds; turning any on needs CAP_SYS_RAWIO.
    return turnOn ? { kind: 'error', errno: E.EPERM! } : { kind: 'return', val: 0n };
  },
};
