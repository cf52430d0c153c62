/**
 * The one answer path every delivery (notify worker, ptrace tracer) uses for
 * a call that reached TypeScript: look the route up, decode the arguments for
 * --trace before anything is answered (once answered, the task may reuse or
 * unmap its buffers), take the up-front verdict where the delivery has no C
 * interpreter for it, run the handler under a fault guard, and count and trace
 * the outcome. Only carrying the reply to the task is the delivery's own.
 */
import type { Arch } from '../arch.js';
import type { Call, HandlerContext, Reply } from '../handlers/types.js';
import { E } from '../native/errno.js';
import type { TraceeMemory } from '../native/tracee-memory.js';
import type { Route, RouteTable, Verdict } from './routes.js';
import { decodeArgs, type TraceWriter } from './trace.js';
import type { CallStat } from './worker-protocol.js';
import { escapeControl } from '../printable.js';

/** One trapped call as a delivery reads it. */
export interface Trapped {
  arch: Arch | undefined;
  nr: number;
  pid: number;
  args: readonly bigint[];
  mem: TraceeMemory;
  /** When the delivery saw it (process.hrtime.bigint() or the loop's CLOCK_MONOTONIC ns). */
  started: bigint;
  /** SECCOMP_IOCTL_NOTIF_ID_VALID, or always true where the task cannot go away meanwhile (a ptrace stop). */
  stillValid(): boolean;
}

/** A call in flight: what record() needs once the delivery has carried the reply out. */
export interface InFlight {
  arch: Arch | undefined;
  name: string;
  pid: number;
  started: bigint;
  traced: Record<string, string | number> | undefined;
}

/**
 * Carries out an up-front verdict in TypeScript; 'handler' when the handler must decide after all.
 * Given by a delivery that has no C interpreter (ptrace: src/mechanisms/native-verdict.ts); the
 * notify loop carries verdicts out in C, so its calls reach TypeScript only when the handler decides.
 */
export type VerdictInterpreter = (v: Verdict, args: readonly bigint[], mem: TraceeMemory) => Reply | 'handler';

/** A reply's result as stats and trace show it: the return value or -errno; 'continue' when the kernel ran the call. */
export type Result = bigint | 'continue';

export class AnswerPath {
  private readonly stats = new Map<string, CallStat>();

  constructor(
    private readonly routes: RouteTable,
    private readonly ctx: HandlerContext,
    private readonly trace: TraceWriter | undefined,
    private readonly interpret?: VerdictInterpreter,
  ) {}

  /** The reply for a trapped call, and what to record once it is carried out. */
  answer(t: Trapped): { reply: Reply; inFlight: InFlight; route: Route | undefined } {
    const route = this.routes.get(t.arch, t.nr);
    const traced = this.trace && route && t.arch ? decodeArgs(route.args, t.args, t.mem, t.arch) : undefined;
    const inFlight: InFlight = { arch: t.arch, name: route?.name ?? `nr ${t.nr}`, pid: t.pid, started: t.started, traced };
    if (t.arch === undefined || route === undefined) {
      // The filter only traps what the plan routes; anything else is a plan/filter mismatch.
      return { reply: { kind: 'error', errno: E.ENOSYS! }, inFlight, route };
    }
    const fast = this.interpret && route.verdict !== undefined ? this.interpret(route.verdict, t.args, t.mem) : 'handler';
    return { reply: fast !== 'handler' ? fast : this.handle(route, t, t.arch), inFlight, route };
  }

  private handle(route: Route, t: Trapped, arch: Arch): Reply {
    const call: Call = { arch, nr: t.nr, name: route.name, pid: t.pid, args: t.args, mem: t.mem, stillValid: t.stillValid };
    try {
      return route.handler.handle(call, this.ctx);
    } catch (cause) {
      // A handler bug must not hang or kill the task: answer as a kernel fault would, and say so.
      process.stderr.write(`cr-shim: handler ${route.handler.id} failed on ${route.name}: ${escapeControl(String(cause))}\n`);
      return { kind: 'error', errno: E.EFAULT! };
    }
  }

  /** Count the call (latency from `started` to now) and write its trace line. */
  record(c: InFlight, result: Result): void {
    const key = `${c.arch}:${c.name}`;
    const s = this.stats.get(key) ?? { arch: c.arch, name: c.name, count: 0, totalNs: 0, path: 'js' as const };
    s.count++;
    s.totalNs += Number(process.hrtime.bigint() - c.started);
    this.stats.set(key, s);
    this.trace?.write({ pid: c.pid, arch: c.arch, syscall: c.name, args: c.traced ?? {}, result });
  }

  callStats(): CallStat[] {
    return [...this.stats.values()];
  }
}
