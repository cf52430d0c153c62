/**
 * The SIGSYS library's config (grammar in native/sigsys-preload.c), built from
 * the same plan and handlers as the other mechanisms: the filter with TRAP for
 * routed calls, and for each routed call the verdict its handler gives up
 * front (Handler.native: errno, writeArg, continue, pathWatch). A handler that
 * answers only in TypeScript cannot run inside the program: its calls are
 * answered ENOSYS and listed in `unserved`. execve and execveat are routed too,
 * and refused: an exec'd image keeps the filter but loses the handler.
 */
import { compilePlan } from '../../bpf/compile.js';
import { encode } from '../../bpf/encode.js';
import { SECCOMP_RET } from '../../bpf/insn.js';
import type { Session } from '../../supervisor/session.js';
import { makeHandlers } from '../../handlers/registry.js';
import { identityFiles, pathArgOf } from '../../handlers/proc-identity.js';
import { loadSysctlLookup } from '../../handlers/sysctl-table.js';
import { E } from '../../native/errno.js';
import { NativeKind } from '../../native/addon-types.js';
import { startupTaskUts, utsnameBytes } from '../../handlers/uname.js';
import type { Plan } from '../../plan/types.js';
import type { Persona } from '../../persona/types.js';
import type { Verdict } from '../../supervisor/routes.js';
import { handlerOf } from '../../plan/arg-rules.js';

/** Calls routed only under sigsys, to refuse them (see the file comment). */
export const SIGSYS_EXEC_CALLS = ['execve', 'execveat'];
const EXEC_HANDLER = 'sigsys-exec';

export interface SigsysConfig {
  text: string;
  /** Routed calls whose handler runs only in TypeScript: answered ENOSYS under sigsys. */
  unserved: string[];
}

/** The plan with exec routed (x86_64 only: the library is a 64-bit shared object). */
export function sigsysPlan(plan: Plan): Plan {
  return {
    ...plan,
    arches: plan.arches.map((ap) => ap.arch !== 'x86_64' ? ap : {
      ...ap,
      entries: ap.entries.map((e) => (SIGSYS_EXEC_CALLS.includes(e.name) && (e.action.kind === 'allow' || handlerOf(e) === 'exec-vdso') ? { ...e, action: { kind: 'notify' as const, handler: EXEC_HANDLER } } : e)),
    }),
  };
}

export function sigsysConfig(session: Session): SigsysConfig {
  const plan = sigsysPlan(session.plan);
  const lines = [`filter ${encode(compilePlan(plan, { notifyReturn: SECCOMP_RET.TRAP, comments: false }).insns).toString('hex')}`];
  const handlers = makeHandlers(loadSysctlLookup());
  const ctx = { persona: session.persona };
  const unserved: string[] = [];
  for (const ap of plan.arches) {
    if (ap.arch !== 'x86_64') continue;
    for (const e of ap.entries) {
      const handler = handlerOf(e);
      if (handler === undefined) continue;
      if (handler === EXEC_HANDLER) {
        lines.push(`exec ${e.nr}`);
        continue;
      }
      const line = verdictLine(e.nr, e.name, handlers.get(handler)?.native?.(ap.arch, e.nr, e.name, ctx), session.persona);
      if (line === undefined) unserved.push(e.name);
      else lines.push(line);
    }
  }
  for (const [file, text] of identityFiles(session.persona)) lines.push(`file ${file} ${Buffer.from(text).toString('hex')}`);
  return { text: lines.join('\n') + '\n', unserved };
}

/** The config line for one routed call's verdict (grammar in native/sigsys-preload.c); undefined when it has none the library can give. */
export function verdictLine(nr: number, name: string, v: Verdict | undefined, persona: Persona): string | undefined {
  switch (v?.kind) {
    case NativeKind.errno:
      return `errno ${nr} ${v.errno}`;
    case NativeKind.continue:
    case NativeKind.forgetTask:
      return `continue ${nr}`;
    case NativeKind.uname:
      // Inside the program nothing can look at the caller's namespace: the names at start.
      return `write ${nr} ${v.arg} ${v.val ?? 0} ${utsnameBytes(name, persona, startupTaskUts()).toString('hex')}`;
    case NativeKind.writeArg:
      return `write ${nr} ${v.arg} ${v.val ?? 0} ${Buffer.from(v.bytes!).toString('hex')}`;
    case NativeKind.pathWatch:
      return `watch ${nr} ${v.arg} ${name}`;
    case NativeKind.enterStrict:
      // The program's own TRAP filter already bars strict mode: the kernel's EINVAL (handlers/strict-mode.ts).
      return `errno ${nr} ${E.EINVAL!}`;
    case NativeKind.openIdentity:
      // The in-process handler cannot open as the supervisor would: it watches the path, as before.
      return `watch ${nr} ${pathArgOf(v.arg!)} ${name}`;
    case NativeKind.statxPersona:
      // Inside the program nothing can stat as the task from outside: the kernel answers (this host's mask).
      return `continue ${nr}`;
    default:
      return undefined;
  }
}
