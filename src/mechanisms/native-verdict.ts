/**
 * The native loop's verdicts (NativeAction, what Handler.native gives and
 * native/notify-loop.c's setActions takes) carried out by a mechanism that has
 * no C loop: computed once per (arch, nr) at start (src/supervisor/routes.ts), so a
 * hot call does not run its handler every time, and answering exactly as notify-core.c's decide().
 */
import type { Reply } from '../handlers/types.js';
import { NativeKind } from '../native/addon-types.js';
import { pathArgOf, WATCHED_NAMES } from '../handlers/proc-identity.js';
import { E } from '../native/errno.js';
import { asksStrict } from '../handlers/strict-mode.js';
import type { TraceeMemory } from '../native/tracee-memory.js';
import type { Verdict } from '../supervisor/routes.js';

export type { Verdict };

/** Is the last component of path ("a/b//" → "b") one of names? */
export function lastComponentIn(path: string, names: readonly string[]): boolean {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return names.includes(last);
}

/**
 * Answer a call from its verdict; 'handler' when the handler must decide after
 * all (a pathWatch hit, an unreadable path, or a kind this interpreter lacks).
 */
export function applyVerdict(v: Verdict, args: readonly bigint[], mem: TraceeMemory): Reply | 'handler' {
  switch (v.kind) {
    case NativeKind.continue:
      return { kind: 'continue' };
    case NativeKind.errno:
      return { kind: 'error', errno: v.errno! };
    case NativeKind.writeArg:
      return mem.write(args[v.arg!]!, v.bytes!) ? { kind: 'return', val: BigInt(v.val ?? 0) } : { kind: 'error', errno: E.EFAULT! };
    case NativeKind.pathWatch:
    case NativeKind.openIdentity: {
      // openIdentity is the notify loop's own open; here it falls back to the path pre-filter, on
      // the identity files' names and the added files' (entries with a mode: removed sysctl files).
      const added = (v.identity ?? []).filter((e) => e.mode !== undefined).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1));
      const watch = v.kind === NativeKind.pathWatch ? { arg: v.arg!, names: v.names ?? [] } : { arg: pathArgOf(v.arg!), names: [...WATCHED_NAMES, ...added] };
      const p = mem.readString(args[watch.arg]!);
      if (typeof p !== 'string' || lastComponentIn(p, watch.names)) return 'handler';
      // statx asking a bit the persona answered otherwise: its handler decides (notify-core.c does the same).
      const ask = (v.statxDrop ?? 0) | (v.statxBtimeTmpfs ? 0x800 : 0);
      if ((Number(BigInt.asUintN(32, args[3] ?? 0n)) & ask) !== 0) return 'handler';
      return { kind: 'continue' };
    }
    case NativeKind.enterStrict:
      // A strict request: the handler tries the helper (which cannot seize a task this tracer holds)
      // and answers EINVAL. Any other call: the handler too (another row may share the number).
      return 'handler';
    default:
      return 'handler';
  }
}
