// The one line a failed injection prints, per step and errno: verdicts as data.
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/inject/injector.js';

const CASES: { step: string; errno: number; code: string; message: RegExp; hint?: RegExp }[] = [
  { step: 'seccomp', errno: 16, code: 'EBUSY', message: /^process 7 already runs under another supervisor's seccomp listener/, hint: /stop that supervisor first/ },
  { step: 'seccomp', errno: 3, code: 'ESRCH', message: /^process 7: its threads run under different seccomp filters/ },
  { step: 'seize', errno: 3, code: 'ESRCH', message: /^no such process 7 \(or only a zombie is left\)$/ },
  { step: 'list-threads', errno: 2, code: 'ESRCH', message: /^no such process 7/ },
  { step: 'ptrace-seize', errno: 1, code: 'EPERM', message: /^cannot trace process 7: /, hint: /already traced/ },
  { step: 'find-syscall-site', errno: 8, code: 'ENOEXEC', message: /^find a syscall instruction in \[vdso\] in process 7 failed: / },
  { step: 'mmap', errno: 12, code: 'ENOMEM', message: /^injected mmap in process 7 failed: / },
];

describe('describeFailure', () => {
  it.each(CASES)('$step $code', (c) => {
    const d = describeFailure(7, c.step, c.errno);
    expect(d.code).toBe(c.code);
    expect(d.message).toMatch(c.message);
    if (c.hint) expect(d.hint).toMatch(c.hint);
    else expect(d.hint).toBeUndefined();
  });
});
