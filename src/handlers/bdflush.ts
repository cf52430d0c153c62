/**
 * bdflush(2) (ia32 only), a no-op from 2.6 until its removal in 5.15
 * (fs/buffer.c): EPERM without CAP_SYS_ADMIN, else 0. Its func 1 made the
 * calling thread exit, which a supervisor cannot do for a task; it answers 0.
 */
import { E } from '../native/errno.js';
import { CAP, hasCap, readCreds } from '../native/tracee-creds.js';
import type { Call, Handler, Reply } from './types.js';

export const bdflush: Handler = {
  id: 'bdflush',
  handle(call: Call): Reply {
    const creds = readCreds(call.pid);
    if (creds === null) return { kind: 'error', errno: E.ESRCH! };
    return hasCap(creds, CAP.SYS_ADMIN) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EPERM! };
  },
};
