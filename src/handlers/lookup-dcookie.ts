/**
 * lookup_dcookie(2), removed in 5.12 with oprofile's kernel side. In the
 * releases that had it (fs/dcookies.c) the call checks CAP_SYS_ADMIN first
 * (EPERM), then answers EINVAL when no profiler holds the cookie table, which
 * is always the case for a program restored here.
 */
import { E } from '../native/errno.js';
import { CAP, hasCap, readCreds } from '../native/tracee-creds.js';
import type { Call, Handler, Reply } from './types.js';

export const lookupDcookie: Handler = {
  id: 'lookup_dcookie',
  handle(call: Call): Reply {
    const creds = readCreds(call.pid);
    if (creds === null) return { kind: 'error', errno: E.ESRCH! };
    return { kind: 'error', errno: hasCap(creds, CAP.SYS_ADMIN) ? E.EINVAL! : E.EPERM! };
  },
};
