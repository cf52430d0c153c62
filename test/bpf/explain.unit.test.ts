/** The compiler's comments: what each branch splits and which syscalls, for which reasons, end at each RET. */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import { branchComment, nameList, returnComment, runLabel } from '../../src/bpf/explain.js';
import type { Run } from '../../src/bpf/explain.js';
import { BPF_JGE, BPF_JMP, BPF_K, BPF_RET } from '../../src/bpf/insn.js';
import type { Action, Plan, PlanEntry } from '../../src/plan/types.js';

const ALLOW: Action = { kind: 'allow' };
const ENOSYS: Action = { kind: 'errno', errno: 38 };
const EPERM: Action = { kind: 'errno', errno: 1 };
const notify = (handler: string): Action => ({ kind: 'notify', handler });

const entry = (nr: number, name: string, action: Action, reason: string): PlanEntry => ({
  nr, name, action, reason, basis: action.kind === 'allow' ? 'same' : action.kind === 'notify' ? 'emulated' : 'absent',
});
const run = (start: number, end: number, action: Action, entries: PlanEntry[]): Run => ({ start, end, action, entries, ret: 0 });

describe('nameList', () => {
  it.each([
    [[], ''],
    [['a'], 'a'],
    [['a', 'b', 'c', 'd'], 'a, b, c, d'],
    [['a', 'b', 'c', 'd', 'e'], 'a, b, c, … (5)'],
  ])('%j → %s', (names, text) => expect(nameList(names)).toBe(text));
});

describe('runLabel and branchComment', () => {
  it.each([
    [run(2, 2, notify('proc-identity'), [entry(2, 'open', notify('proc-identity'), 'x')]), '2 notify(proc-identity) [open]'],
    [run(134, 134, ENOSYS, []), '134 errno(38) [no syscall]'],
    [run(3, 7, ALLOW, ['close', 'stat', 'fstat', 'lstat', 'poll'].map((n, i) => entry(3 + i, n, ALLOW, 'same'))), '3..7 allow [close, stat, fstat, … (5)]'],
  ])('%#', (r, text) => expect(runLabel(r)).toBe(text));

  it('names below | at or above, ranges for inner nodes', () => {
    expect(branchComment('x86_64', [0, 180], [181, 1073741823])).toBe('x86_64 0..180 | 181..1073741823');
    expect(branchComment('ia32', run(17, 17, ENOSYS, []), [18, 30])).toBe('ia32 17 errno(38) [no syscall] | 18..30');
  });
});

describe('returnComment', () => {
  const rows: [string, Action, Run[], string[], string][] = [
    [
      'errno: extra causes, reasons with their names, holes',
      ENOSYS,
      [run(299, 310, ENOSYS, [entry(299, 'recvmmsg', ENOSYS, 'not yet in 2.6.32'), entry(300, 'fanotify_init', ENOSYS, 'not yet in 2.6.32')]), run(134, 134, ENOSYS, [])],
      ['x32 ABI'],
      'x86_64 errno(38): x32 ABI; not yet in 2.6.32: recvmmsg, fanotify_init; no syscall: 134, 301..310',
    ],
    [
      'reasons differing in a trailing parenthesis fold into one',
      EPERM,
      [run(175, 176, EPERM, [
        entry(175, 'init_module', EPERM, 'built without it (CONFIG_MODULES): EPERM'),
        entry(176, 'delete_module', EPERM, 'built without it (CONFIG_MODULES): EPERM'),
      ]), run(246, 246, EPERM, [entry(246, 'kexec_load', EPERM, 'built without it (CONFIG_KEXEC): EPERM')])],
      [],
      'x86_64 errno(1): built without it: init_module, delete_module (CONFIG_MODULES), kexec_load (CONFIG_KEXEC)',
    ],
    [
      'notify: one part per handler; a handler named like its only syscall once',
      notify('proc-identity'),
      [run(63, 63, notify('uname'), [entry(63, 'uname', notify('uname'), 'long note')]), run(2, 2, notify('proc-identity'), [entry(2, 'open', notify('proc-identity'), 'n')]), run(257, 257, notify('proc-identity'), [entry(257, 'openat', notify('proc-identity'), 'n')])],
      [],
      'x86_64 notify: proc-identity [open, openat]; uname',
    ],
    [
      'many holes are counted',
      ENOSYS,
      [1, 5, 9, 13, 17, 21].map((n) => run(n, n, ENOSYS, [])),
      [],
      'x86_64 errno(38): no syscall: 1, 5, 9, 13, … (6 ranges)',
    ],
  ];
  it.each(rows)('%s', (_what, action, runs, extra, text) => expect(returnComment('x86_64', action, runs, extra)).toBe(text));
});

describe('compiled comments', () => {
  const names = ['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap'];
  // At most four syscalls per RET, so each comment lists every name.
  const actions: Action[] = [ALLOW, ALLOW, notify('proc-identity'), ALLOW, EPERM, ENOSYS, ALLOW, notify('uname'), ENOSYS, EPERM];
  const entries = names.map((n, nr) => entry(nr, n, actions[nr]!, actions[nr] === ENOSYS ? 'not yet in 1.0' : actions[nr] === EPERM ? 'policy' : 'same on both kernels'));
  const plan: Plan = {
    persona: 't',
    arches: [{ arch: 'x86_64', personaRelease: 'a', hostRelease: 'b', entries, otherwise: ENOSYS }],
    x32: ENOSYS,
    unknownArch: ENOSYS,
  };
  const program = compilePlan(plan);

  it('the RET each syscall reaches names it, with its action', () => {
    for (const e of entries) {
      const v = emulate(program.insns, { nr: e.nr, arch: AUDIT_ARCH.x86_64 });
      expect(program.insns[v.pc]!.code).toBe(BPF_RET | BPF_K);
      const comment = program.comments![v.pc]!;
      expect(comment, `nr ${e.nr}`).toContain(e.name);
      expect(comment).toMatch(new RegExp(`^x86_64 ${e.action.kind === 'allow' ? 'allow' : e.action.kind === 'notify' ? 'notify' : `errno\\(${(e.action as { errno: number }).errno}\\)`}:`));
    }
    const v = emulate(program.insns, { nr: 999, arch: AUDIT_ARCH.x86_64 });
    expect(program.comments![v.pc]).toMatch(/no syscall: 10\.\.1073741823/);
    expect(program.comments![v.pc]).toMatch(/x32 ABI/);
  });

  it('every tree branch names the numbers on each side of its boundary', () => {
    program.insns.forEach((insn, pc) => {
      if (insn.code !== (BPF_JMP | BPF_JGE | BPF_K) || insn.k === 0x40000000) return;
      const m = /^x86_64 (\d+)(?:\.\.(\d+))?.* \| (\d+)(?:\.\.\d+)?/.exec(program.comments![pc]!);
      expect(m, program.comments![pc]).not.toBeNull();
      expect(Number(m![3])).toBe(insn.k);
      expect(Number(m![2] ?? m![1]) + 1).toBe(insn.k);
    });
  });
});
