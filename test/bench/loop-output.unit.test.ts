/** Parsing what loop-mt, bash's `time` and bench-supervisor print. */
import { describe, expect, it } from 'vitest';
import { parseCpuTime, parseCSupervisorOutput, parseLoopOutput } from '../../src/bench/loop-output.js';

describe('parseLoopOutput', () => {
  it('reads the numbers and the last errname', () => {
    const out = 'syscall=uname\nthreads=2\ncalls=10\nwall_ns=2000\nns_per_call=100.0\nthread_ns_per_call=200.0\nret=0\nerrno=0\nerrname=\n';
    expect(parseLoopOutput(out)).toEqual({ threads: 2, calls: 10, nsPerCall: 100, threadNsPerCall: 200, errname: '' });
  });

  it('ignores a wrapper\'s own lines', () => {
    expect(parseLoopOutput('runsc: hello\nthreads=1\ncalls=1\nns_per_call=5\nthread_ns_per_call=5\nerrname=ENOSYS\n').errname).toBe('ENOSYS');
  });

  it.each([
    ['no calls', 'threads=1\nerrname=\n', /no numeric calls=/],
    ['a non-number', 'threads=1\ncalls=1\nns_per_call=fast\nthread_ns_per_call=1\nerrname=\n', /no numeric ns_per_call=/],
    ['no errname', 'threads=1\n', /no errname=/],
  ])('refuses output with %s', (_what, text, message) => {
    expect(() => parseLoopOutput(text)).toThrow(message);
  });
});

describe('parseCpuTime', () => {
  it.each([
    ['cpu_user_s=0.108 cpu_sys_s=0.112\n', 0.22],
    ['cr-shim: translated syscalls\ncpu_user_s=0.000 cpu_sys_s=1.500\ncr-shim: peak RSS 1 KiB\n', 1.5],
    ['loop-mt: refusing 62 (kill)\n', undefined],
  ])('%j → %s', (stderr, want) => {
    const got = parseCpuTime(stderr);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 9);
  });
});

describe('parseCSupervisorOutput', () => {
  it('reads the JSON line', () => {
    const line = '{"calls":20000,"nsPerCall":16834.5,"unfilteredNsPerCall":1119.8,"syncWakeup":true,"poll":false}\n';
    expect(parseCSupervisorOutput(line)).toEqual({ calls: 20000, nsPerCall: 16834.5, unfilteredNsPerCall: 1119.8, syncWakeup: true, poll: false });
  });

  it.each([['not JSON', 'bench-supervisor: fork: EAGAIN', /not JSON/], ['a missing field', '{"calls":1,"nsPerCall":2}', /missing fields/]])(
    'refuses %s',
    (_what, text, message) => {
      expect(() => parseCSupervisorOutput(text)).toThrow(message);
    },
  );
});
