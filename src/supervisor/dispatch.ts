/**
 * The notify delivery: from one notification to one answer through the shared
 * answer path (answer.ts), sent back with the notify ioctls. Expected kernel
 * outcomes are values here: a task that vanished (ENOENT from the ioctls) is
 * an event, not an error.
 */
import { archFromAudit } from '../arch.js';
import type { NotifyAddon, NotifyHandle, Notification } from '../native/addon-types.js';
import type { Reply } from '../handlers/types.js';
import { E } from '../native/errno.js';
import { TraceeMemory } from '../native/tracee-memory.js';
import { sys } from '../native/libc.js';
import type { AnswerPath, Result } from './answer.js';

/** SECCOMP_USER_NOTIF_FLAG_CONTINUE from <linux/seccomp.h>. */
const FLAG_CONTINUE = 1;
/** O_CLOEXEC, the only flag SECCOMP_IOCTL_NOTIF_ADDFD's newfd_flags accepts. */
const O_CLOEXEC = 0o2000000;

export class Dispatcher {
  constructor(
    private readonly addon: NotifyAddon,
    private readonly path: AnswerPath,
  ) {}

  /** Answer one notification, then count and trace it. */
  dispatch(n: Notification): void {
    const { reply, inFlight } = this.path.answer({
      arch: archFromAudit(n.arch), nr: n.nr, pid: n.pid, args: n.args,
      mem: new TraceeMemory(n.pid),
      started: n.receivedNs,
      stillValid: () => this.addon.idValid(n.handle, n.id),
    });
    this.path.record(inFlight, this.send(n.handle, n.id, reply));
  }

  /** h: the handle of the listener the notification came from. */
  private send(h: NotifyHandle, id: bigint, r: Reply): Result {
    switch (r.kind) {
      case 'return':
        this.addon.respond(h, id, r.val, 0, 0);
        return r.val;
      case 'error':
        this.addon.respond(h, id, 0n, r.errno, 0);
        return BigInt(-r.errno);
      case 'continue':
        this.addon.respond(h, id, 0n, 0, FLAG_CONTINUE);
        return 'continue';
      case 'addfd': {
        const fd = this.addon.addFdAndSend(h, id, r.fd, r.cloexec ? O_CLOEXEC : 0);
        sys.close(r.fd);
        // ADDFD failing for any reason but a vanished task leaves the call waiting: answer it.
        if (fd < 0 && fd !== -E.ENOENT!) this.addon.respond(h, id, 0n, -fd, 0);
        return BigInt(fd);
      }
    }
  }
}
