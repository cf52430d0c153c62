/**
 * From one notification to one answer: find the handler the plan named for
 * (arch, nr), run it, send its reply. Expected kernel outcomes are values here:
 * a task that vanished (ENOENT from the ioctls) is an event, not an error.
 */
import { archFromAudit, type Arch } from '../arch.js';
import type { NotifyAddon, NotifyHandle, Notification } from '../native/addon-types.js';
import type { Call, Handler, HandlerContext, Reply } from '../handlers/types.js';
import { E } from '../native/errno.js';
import { TraceeMemory } from '../native/tracee-memory.js';
import { sys } from '../native/libc.js';
import { escapeControl } from '../printable.js';

/** SECCOMP_USER_NOTIF_FLAG_CONTINUE from <linux/seccomp.h>. */
const FLAG_CONTINUE = 1;
/** O_CLOEXEC, the only flag SECCOMP_IOCTL_NOTIF_ADDFD's newfd_flags accepts. */
const O_CLOEXEC = 0o2000000;

export interface Route { name: string; handler: Handler }

export interface Outcome {
  arch: Arch | undefined;
  name: string;
  /** Return value, or -errno; 'continue' when the kernel ran the call itself. */
  result: bigint | 'continue';
}

export class Dispatcher {
  constructor(
    private readonly addon: NotifyAddon,
    private readonly routes: ReadonlyMap<string, Route>,
    private readonly ctx: HandlerContext,
  ) {}

  static key(arch: Arch, nr: number): string {
    return `${arch}:${nr}`;
  }

  /** Answer one notification; returns what was answered, for stats and trace. */
  dispatch(n: Notification): Outcome {
    const arch = archFromAudit(n.arch);
    const route = arch === undefined ? undefined : this.routes.get(Dispatcher.key(arch, n.nr));
    let reply: Reply;
    if (arch === undefined || route === undefined) {
      // The filter only notifies what the plan routes; anything else is a plan/filter mismatch.
      reply = { kind: 'error', errno: E.ENOSYS! };
    } else {
      const call: Call = {
        arch, nr: n.nr, name: route.name, pid: n.pid, args: n.args,
        mem: new TraceeMemory(n.pid),
        stillValid: () => this.addon.idValid(n.handle, n.id),
      };
      try {
        reply = route.handler.handle(call, this.ctx);
      } catch (cause) {
        // A handler bug must not hang or kill the task: answer as a kernel fault would, and say so.
        process.stderr.write(`cr-shim: handler ${route.handler.id} failed on ${route.name}: ${escapeControl(String(cause))}\n`);
        reply = { kind: 'error', errno: E.EFAULT! };
      }
    }
    return { arch, name: route?.name ?? `nr ${n.nr}`, result: this.send(n.handle, n.id, reply) };
  }

  /** h: the handle of the listener the notification came from. */
  private send(h: NotifyHandle, id: bigint, r: Reply): bigint | 'continue' {
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
