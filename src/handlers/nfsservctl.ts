/**
 * nfsservctl(2), removed in 3.1 (fs/nfsctl.c). The releases that had it read
 * the caller's struct nfsctl_arg, check its version and command, then talk to
 * the in-kernel NFS server through files of the nfsd filesystem. The checks are
 * reproduced; a well-formed request answers EPERM, because there is no nfsd
 * behind it here to hand the request to.
 *
 * struct nfsctl_arg { int ca_version; ... }: ca_version is the first int.
 */
import { E } from '../native/errno.js';
import type { Call, Handler, Reply } from './types.js';

const NFSCTL_VERSION = 0x0201;
/** Commands 0 to 7 and 11 were defined (NFSCTL_SVC .. NFSCTL_GETFS, NFSCTL_FD), the rest EINVAL. */
const KNOWN_COMMANDS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);

export const nfsservctl: Handler = {
  id: 'nfsservctl',
  handle(call: Call): Reply {
    const cmd = Number(BigInt.asIntN(32, call.args[0]!));
    const version = call.mem.readI32(call.args[1]!);
    if (version === null) return { kind: 'error', errno: E.EFAULT! };
    if (version !== NFSCTL_VERSION || !KNOWN_COMMANDS.has(cmd)) return { kind: 'error', errno: E.EINVAL! };
    return { kind: 'error', errno: E.EPERM! };
  },
};
