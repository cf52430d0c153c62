/**
 * Argument values the persona's kernel did not know, answered in BPF as that kernel answered
 * a value it did not know. Pure: the argument tables come in as data.
 *
 * Only where one argument decides the answer (plus, for socket options, the level): flags an
 * old kernel ignored (open, mmap, clone), masks it could not report (statx) and struct fields
 * need a handler, and get no rule here.
 */
import type { ArgTable } from '../tables/arg-table.js';
import { unknownValues } from '../tables/arg-table.js';
import { errno } from '../native/errno.js';
import type { ArgRoute, ArgRule, PlanEntry } from './types.js';

export interface ArgPolicy {
  /** Group of tables/args/<arch>.json. */
  group: string;
  syscall: string;
  /** Argument index the value is in. */
  arg: number;
  /** in: the argument is one value; anyBit: flags, any unknown bit set. */
  match: 'in' | 'anyBit';
  when?: { arg: number; equals: number };
  /**
   * Only these values of the group, and why: the others are flags an old kernel ignored, which
   * no errno in BPF can answer.
   */
  only?: { names: readonly string[]; why: string };
  /** The errno the kernel gives an unknown value, and where it comes from. */
  answer: string;
  source: string;
  /**
   * A handler that answers instead of an errno in BPF: the old kernel took the value but
   * answered otherwise (statx filled no field it did not know, and said so in stx_mask).
   */
  handler?: string;
}

/** SOL_SOCKET in <asm-generic/socket.h> (x86_64). */
const SOL_SOCKET = 1;

export const ARG_POLICIES: readonly ArgPolicy[] = [
  { group: 'prctl-option', syscall: 'prctl', arg: 0, match: 'in', answer: 'EINVAL', source: 'kernel/sys.c prctl(): the switch\'s default, after security_task_prctl() declines' },
  { group: 'fcntl-command', syscall: 'fcntl', arg: 1, match: 'in', answer: 'EINVAL', source: 'fs/fcntl.c do_fcntl(): the switch\'s default' },
  { group: 'madvise-advice', syscall: 'madvise', arg: 2, match: 'in', answer: 'EINVAL', source: 'mm/madvise.c: madvise_behavior_valid() false' },
  { group: 'getrandom-flag', syscall: 'getrandom', arg: 2, match: 'anyBit', answer: 'EINVAL', source: 'drivers/char/random.c getrandom(): flags outside the known set' },
  {
    group: 'mmap-flag',
    syscall: 'mmap',
    arg: 3,
    match: 'anyBit',
    // Bit 3 lies in MAP_TYPE (0x0f): a kernel without MAP_DROPPABLE knew types 1 to 3 only, so any
    // type with bit 3 set (0x8 to 0xf) was invalid there. The fidelity oracle found it let through.
    only: { names: ['MAP_DROPPABLE'], why: 'a mapping type, not a flag: the other mmap flags an old kernel ignored' },
    answer: 'EINVAL',
    source: 'mm/mmap.c do_mmap(): the switch on flags & MAP_TYPE, whose default is EINVAL',
  },
  {
    group: 'statx-mask',
    syscall: 'statx',
    arg: 3,
    match: 'anyBit',
    answer: 'the persona\'s stx_mask',
    source: 'fs/stat.c: a kernel ignores request_mask bits it does not know and reports only what it filled',
    handler: 'statx-mask',
  },
  { group: 'socket-family', syscall: 'socket', arg: 0, match: 'in', answer: 'EAFNOSUPPORT', source: 'net/socket.c __sock_create(): no protocol family registered (after request_module)' },
  { group: 'socket-family', syscall: 'socketpair', arg: 0, match: 'in', answer: 'EAFNOSUPPORT', source: 'net/socket.c __sock_create(), as for socket()' },
  { group: 'socket-option', syscall: 'setsockopt', arg: 2, match: 'in', when: { arg: 1, equals: SOL_SOCKET }, answer: 'ENOPROTOOPT', source: 'net/core/sock.c sock_setsockopt(): the switch\'s default at SOL_SOCKET' },
  { group: 'socket-option', syscall: 'getsockopt', arg: 2, match: 'in', when: { arg: 1, equals: SOL_SOCKET }, answer: 'ENOPROTOOPT', source: 'net/core/sock.c sock_getsockopt(): the switch\'s default at SOL_SOCKET' },
];

const MAX_NAMED = 4;

/**
 * The BPF rules for one syscall under a persona of mainline `release`: one per policy whose
 * group has values the table proves that release did not know. Values beyond 32 bits are
 * left out (no group a policy reads has any).
 */
export function argRulesFor(table: ArgTable | undefined, release: string, syscall: string): ArgRule[] {
  if (!table) return [];
  const rules: ArgRule[] = [];
  for (const p of ARG_POLICIES) {
    if (p.syscall !== syscall) continue;
    const group = table.groups[p.group];
    if (!group) continue;
    const unknown = unknownValues(group, release, p.syscall).filter((v) => v.value <= 0xffffffff && (!p.only || p.only.names.includes(v.name)));
    if (unknown.length === 0) continue;
    const names = unknown.map((v) => v.name);
    const named = names.length <= MAX_NAMED ? names.join(', ') : `${names.slice(0, MAX_NAMED).join(', ')}, … (${names.length})`;
    const match: ArgRule['match'] =
      p.match === 'in'
        ? { kind: 'in', values: [...new Set(unknown.map((v) => v.value))].sort((a, b) => a - b) }
        : { kind: 'anyBit', mask: unknown.reduce((m, v) => (m | v.value) >>> 0, 0) };
    rules.push({
      arg: p.arg,
      match,
      ...(p.when ? { when: p.when } : {}),
      action: p.handler !== undefined ? { kind: 'notify', handler: p.handler } : { kind: 'errno', errno: errno(p.answer) },
      reason: `${group.title}: ${named} not yet in ${release} (${p.answer})`,
    });
  }
  return rules;
}

/** Does `rule` take a call with these arguments? As the filter compares them: the low 32 bits of each. */
export function ruleMatches(rule: Pick<ArgRule, 'arg' | 'match' | 'when'>, args: readonly bigint[]): boolean {
  const low = (i: number): number => Number(BigInt.asUintN(32, args[i] ?? 0n));
  if (rule.when && low(rule.when.arg) !== rule.when.equals >>> 0) return false;
  const v = low(rule.arg);
  return rule.match.kind === 'in' ? rule.match.values.includes(v) : (v & rule.match.mask) >>> 0 !== 0;
}

/**
 * The notify rules of a number whose rules send matches to more than one handler (prctl:
 * strict mode and PR_SET_PTRACER), in the filter's order; undefined when one handler takes them
 * all. The supervisor then picks the handler per call by the first rule its arguments match.
 */
export function argRoutesOf(e: PlanEntry): ArgRoute[] | undefined {
  const routes: ArgRoute[] = [];
  for (const r of e.argRules ?? []) {
    if (r.action.kind !== 'notify') continue;
    routes.push({ arg: r.arg, match: r.match, ...(r.when ? { when: r.when } : {}), handler: r.action.handler });
  }
  return new Set(routes.map((r) => r.handler)).size > 1 ? routes : undefined;
}

/**
 * The handler the supervisor runs for this number: the entry's own (notify), else the first its
 * argument rules send matches to (argRoutesOf lists them all when there are several).
 */
export function handlerOf(e: PlanEntry): string | undefined {
  if (e.action.kind === 'notify') return e.action.handler;
  for (const r of e.argRules ?? []) if (r.action.kind === 'notify') return r.action.handler;
  return undefined;
}
