/**
 * prctl(PR_SET_PTRACER) on a host whose kernel runs without the Yama LSM. The option is Yama's:
 * without it prctl() falls through to its switch, which answers EINVAL; a kernel with Yama
 * (Debian's, Ubuntu's, Fedora's builds) answered it in yama_task_prctl()
 * (security/yama/yama_lsm.c):
 *   arg2 0                                   → 0 (the exception removed)
 *   PR_SET_PTRACER_ANY ((unsigned long)-1),
 *   or (int)arg2 == -1                       → 0 (any process may attach)
 *   a pid find_get_task_by_vpid() finds      → 0 (that process may attach)
 *   any other pid                            → EINVAL
 * arg3 to arg5 are not looked at. Those answers are given here and nothing is recorded: without
 * Yama this host's ptrace policy is the classic one (ptrace_may_access() alone), under which
 * whatever the exception would have allowed is already allowed. The exception is what ptrace_scope
 * 1 relaxes, and that scope does not exist here.
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import type { Call, Handler, Reply } from './types.js';

const PR_SET_PTRACER_ANY = (1n << 64n) - 1n;

function pidNsOf(path: string): number | undefined {
  try {
    return fs.statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The last NSpid of a status text: the task's pid in its own pid namespace. */
export function innermostPid(status: string): number | undefined {
  const m = /^NSpid:\s*(.*)$/m.exec(status);
  const last = m?.[1]?.trim().split(/\s+/).pop();
  return last === undefined || last === '' ? undefined : Number(last);
}

/**
 * Does a task with pid `nr` exist in task `pid`'s pid namespace (find_get_task_by_vpid)? In the
 * supervisor's namespace kill(nr, 0) says (a thread's id counts, as a zombie does); in another,
 * the tasks whose innermost namespace is the task's are searched (one in a namespace nested
 * below it is not found: a known gap).
 */
function vpidExists(pid: number, nr: number): boolean | undefined {
  const ns = pidNsOf(`/proc/${pid}/ns/pid`);
  if (ns === undefined) return undefined;
  if (ns === pidNsOf('/proc/self/ns/pid')) return sys.kill(nr, 0) === 0 || sys.errno() === E.EPERM;
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      try {
        if (innermostPid(fs.readFileSync(`/proc/${p}/task/${t}/status`, 'utf8')) === nr && pidNsOf(`/proc/${p}/task/${t}/ns/pid`) === ns) return true;
      } catch {
        // The task exited meanwhile.
      }
    }
  }
  return false;
}

export const yamaPtracer: Handler = {
  id: 'yama-ptracer',
  handle(call: Call): Reply {
    const arg2 = BigInt.asUintN(64, call.args[1]!);
    if (arg2 === 0n || arg2 === PR_SET_PTRACER_ANY || BigInt.asIntN(32, arg2) === -1n) return { kind: 'return', val: 0n };
    // find_get_task_by_vpid() takes a pid_t: the low 32 bits, signed.
    const nr = Number(BigInt.asIntN(32, arg2));
    const found = nr > 0 ? vpidExists(call.pid, nr) : false;
    if (found === undefined || !call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
    return found ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EINVAL! };
  },
};
