/**
 * The route table: for each (arch, nr) the plan sends to the supervisor, the
 * handler that answers it, the signature --trace decodes with, and the verdict
 * the handler gives up front (Handler.native), if any. Built once per
 * supervised tree from the plan's routes and the handler registry, and read by
 * every delivery: the notify loop pushes the verdicts down to C
 * (`nativeActions`), the ptrace tracer carries them out in TypeScript.
 */
import { AUDIT_ARCH, type Arch } from '../arch.js';
import type { NativeAction } from '../native/addon-types.js';
import type { Handler, HandlerContext } from '../handlers/types.js';
import type { RouteSpec } from './worker-protocol.js';
import { ruleMatches } from '../plan/arg-rules.js';
import type { ArgRoute } from '../plan/types.js';

/** A handler's verdict for one (arch, nr): a NativeAction without its number. */
export type Verdict = Omit<NativeAction, 'nr'>;

export interface Route {
  arch: Arch;
  nr: number;
  name: string;
  handler: Handler;
  /** Signature from the persona's table, for --trace. */
  args: readonly string[];
  /** The verdict given up front; undefined when every call goes to `handler.handle`. */
  verdict: Verdict | undefined;
}

export interface RouteTableOptions {
  /** Ask handlers for their up-front verdicts. Off with --trace, so that every call is seen and written. */
  verdicts: boolean;
}

/** One handler for a number whose argument rules name several: each call goes to the handler of the first rule its arguments match. */
function byArguments(routes: readonly ArgRoute[], fallback: Handler, resolve: (id: string) => Handler): Handler {
  const picks = routes.map((r) => ({ rule: r, handler: resolve(r.handler) }));
  return {
    id: [...new Set(routes.map((r) => r.handler))].join('+'),
    handle: (call, ctx) => (picks.find((p) => ruleMatches(p.rule, call.args))?.handler ?? fallback).handle(call, ctx),
  };
}

export class RouteTable {
  private readonly byKey = new Map<string, Route>();

  /**
   * Resolve every route's handler by id and, with `verdicts`, its verdict.
   * Throws when the plan names a handler the registry lacks (a plan/registry mismatch, a bug).
   */
  constructor(specs: readonly RouteSpec[], handlers: ReadonlyMap<string, Handler>, ctx: HandlerContext, opts: RouteTableOptions) {
    const resolve = (id: string): Handler => {
      const h = handlers.get(id);
      if (h === undefined) throw new Error(`plan names handler ${id}, which the registry lacks`);
      return h;
    };
    for (const s of specs) {
      const handler = s.byArgs ? byArguments(s.byArgs, resolve(s.handler), resolve) : resolve(s.handler);
      // A number shared by several handlers is picked per call in TypeScript, unless one of them has a
      // verdict that takes only its own calls and defers the rest (Handler.nativeDefers).
      const shared = (): Verdict | undefined =>
        [...new Set([s.handler, ...s.byArgs!.map((r) => r.handler)])]
          .map(resolve)
          .find((h) => h.nativeDefers === true)
          ?.native?.(s.arch, s.nr, s.name, ctx);
      const verdict = !opts.verdicts ? undefined : s.byArgs ? shared() : handler.native?.(s.arch, s.nr, s.name, ctx);
      this.byKey.set(RouteTable.key(s.arch, s.nr), { arch: s.arch, nr: s.nr, name: s.name, handler, args: s.args, verdict });
    }
  }

  static key(arch: Arch, nr: number): string {
    return `${arch}:${nr}`;
  }

  get(arch: Arch | undefined, nr: number): Route | undefined {
    return arch === undefined ? undefined : this.byKey.get(RouteTable.key(arch, nr));
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The routes that need a TypeScript handler for every call (no up-front verdict). */
  get handlerOnly(): Route[] {
    return [...this.byKey.values()].filter((r) => r.verdict === undefined);
  }

  /** The verdicts per AUDIT_ARCH value, as the native loop's setActions takes them. */
  nativeActions(): Map<number, NativeAction[]> {
    const byArch = new Map<number, NativeAction[]>();
    for (const r of this.byKey.values()) {
      if (r.verdict === undefined) continue;
      const audit = AUDIT_ARCH[r.arch];
      const list = byArch.get(audit) ?? [];
      list.push({ ...r.verdict, nr: r.nr });
      byArch.set(audit, list);
    }
    return byArch;
  }
}
