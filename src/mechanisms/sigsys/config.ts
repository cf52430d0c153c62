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
import { NativeKind } from '../../native/addon-types.js';
import { startupTaskUts, utsnameBytes } from '../../handlers/uname.js';
import type { Plan } from '../../plan/types.js';
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
  const lines = [`filter ${encode(compilePlan(plan, { notifyReturn: SECCOMP_RET.TRAP }).insns).toString('hex')}`];
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
      const v = handlers.get(handler)?.native?.(ap.arch, e.nr, e.name, ctx);
      switch (v?.kind) {
        case NativeKind.errno:
          lines.push(`errno ${e.nr} ${v.errno}`);
          break;
        case NativeKind.continue:
        case NativeKind.forgetTask:
          lines.push(`continue ${e.nr}`);
          break;
        case NativeKind.uname:
          // Inside the program nothing can look at the caller's namespace: the names at start.
          lines.push(`write ${e.nr} ${v.arg} ${v.val ?? 0} ${utsnameBytes(e.name, session.persona, startupTaskUts()).toString('hex')}`);
          break;
        case NativeKind.writeArg:
          lines.push(`write ${e.nr} ${v.arg} ${v.val ?? 0} ${Buffer.from(v.bytes!).toString('hex')}`);
          break;
        case NativeKind.pathWatch:
          lines.push(`watch ${e.nr} ${v.arg} ${e.name}`);
          break;
        case NativeKind.openIdentity:
          // The in-process handler cannot open as the supervisor would: it watches the path, as before.
          lines.push(`watch ${e.nr} ${pathArgOf(v.arg!)} ${e.name}`);
          break;
        default:
          unserved.push(e.name);
      }
    }
  }
  for (const [file, text] of identityFiles(session.persona)) lines.push(`file ${file} ${Buffer.from(text).toString('hex')}`);
  return { text: lines.join('\n') + '\n', unserved };
}
