/**
 * ioctl(TIOCSTI) under personas before 6.2, only with `run --allow-tiocsti`: a known hole.
 * TIOCSTI pushes a byte into a terminal's input as if typed; a program that can do it on a
 * terminal shared with a shell can make that shell run commands. 6.2 (commit 83efeeeb3d04
 * "tty: Allow TIOCSTI to be disabled") added dev.tty.legacy_tiocsti: at 0, drivers/tty/tty_io.c
 * tiocsti() answers EIO to a caller without CAP_SYS_ADMIN. Before, the checks were: the
 * terminal is the caller's controlling one, else EPERM (without CAP_SYS_ADMIN); the byte is
 * readable, else EFAULT.
 *
 * With the row on, the supervisor makes those old checks for the task and performs the ioctl on
 * its duplicate of the descriptor, with its own CAP_SYS_ADMIN. It lets the kernel answer when
 * the kernel would anyway give the old answer: legacy_tiocsti is 1 (or the file is absent,
 * before 6.2), the task holds CAP_SYS_ADMIN in cr-shim's user namespace, or the descriptor is
 * not a terminal (ENOTTY before any TIOCSTI check).
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { CAP, capableInInit } from '../native/tracee-creds.js';
import { takeFd } from './tracee-fd.js';
import type { Call, Handler, Reply } from './types.js';

// <asm-generic/ioctls.h>
const TIOCSTI = 0x5412;
const TCGETS = 0x5401;
/** /dev/tty (5, 0) is always the opener's controlling terminal: tty_open() hands over that tty. */
const DEV_TTY = (5 << 8) | 0;
const LEGACY = '/proc/sys/dev/tty/legacy_tiocsti';

function legacyAllowed(): boolean {
  try {
    return fs.readFileSync(LEGACY, 'utf8').trim() !== '0';
  } catch {
    return true;
  }
}

/** The task's controlling terminal, new_encode_dev() as field 7 (tty_nr) of /proc/PID/stat; null when gone. */
function controllingTty(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[4]);
  } catch {
    return null;
  }
}


export const tiocsti: Handler = {
  id: 'tiocsti',
  handle(call: Call): Reply {
    if (legacyAllowed() || capableInInit(call.pid, CAP.SYS_ADMIN)) return { kind: 'continue' };
    const own = takeFd(call.pid, Number(BigInt.asIntN(32, call.args[0]!)));
    if (typeof own !== 'number') return { kind: 'continue' };
    try {
      if (sys.ioctlPtr(own, TCGETS, Buffer.alloc(64)) < 0) return { kind: 'continue' };
      const rdev = fs.fstatSync(own).rdev;
      const ctty = controllingTty(call.pid);
      if (ctty === null) return { kind: 'error', errno: E.ESRCH! };
      if (rdev !== DEV_TTY && (ctty === 0 || rdev !== ctty)) return { kind: 'error', errno: E.EPERM! };
      const ch = call.mem.read(call.args[2]!, 1);
      if (ch === null) return { kind: 'error', errno: E.EFAULT! };
      // The checks read /proc/PID: they were the task's only if its call is still pending.
      if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
      if (sys.ioctlPtr(own, TIOCSTI, ch) < 0) return { kind: 'error', errno: sys.errno() };
      return { kind: 'return', val: 0n };
    } finally {
      sys.close(own);
    }
  },
};
