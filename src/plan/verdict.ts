/**
 * What cr-shim does with one syscall, in words and as data, from a plan entry and the
 * registry row that produced it. `cr-shim tables show` and `diff` print these.
 */
import { EMULATIONS } from '../handlers/registry.js';
import type { Support } from '../handlers/types.js';
import type { PlanEntry } from './types.js';
import { errnoName } from '../native/errno.js';

export interface Verdict {
  /** allow: the filter lets the call through; errno: answered in BPF; handler: sent to the supervisor. */
  action: 'allow' | 'errno' | 'handler';
  errno?: string;
  handler?: string;
  /** "allow", "ENOSYS", "EPERM", "handler sysctl". */
  text: string;
  /**
   * How faithfully the persona's kernel is reproduced: the registry row's level for emulated
   * calls, 'unsupported' when the persona had the call and nothing stands in for it, else
   * 'full' (the host runs it, or ENOSYS is exactly what the persona's kernel answered).
   */
  support: Support;
  basis: PlanEntry['basis'];
  reason: string;
}

export function verdictOf(name: string, e: PlanEntry): Verdict {
  const base = { basis: e.basis, reason: e.reason };
  let support: Support = 'full';
  if (e.basis === 'unsupported') support = 'unsupported';
  // The plan keeps the row's note as its reason; the note identifies the row among a call's rules.
  else if (e.basis === 'emulated') support = EMULATIONS[name]?.find((rule) => rule.note === e.reason)?.support ?? 'full';
  const a = e.action;
  if (a.kind === 'allow') return { action: 'allow', text: 'allow', support, ...base };
  if (a.kind === 'errno') {
    const n = errnoName(a.errno);
    return { action: 'errno', errno: n, text: n, support, ...base };
  }
  return { action: 'handler', handler: a.handler, text: `handler ${a.handler}`, support, ...base };
}
