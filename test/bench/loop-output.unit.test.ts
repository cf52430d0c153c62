/** Parsing what loop and bench-supervisor print. */
import { describe, expect, it } from 'vitest';
import { parseCpuTime, parseCSupervisorOutput, parseLoopOutput } from '../../src/bench/loop-output.js';

describe('parseLoopOutput', () => {
  it('reads calls, ns per call and the last errno name', () => {
    const text = 'syscall=nr=451\ncalls=200000\ntotal_ns=210000000\nns_per_call=1050.0\nret=-1\nerrno=38\nerrname=ENOSYS\n';
    expect(parseLoopOutput(text)).toEqual({ calls: 200000, nsPerCall: 1050, errname: 'ENOSYS' });
  });

  it('reads an empty errname as success', () => {
    expect(parseLoopOutput('calls=1\nns_per_call=3.5\nret=0\nerrno=0\nerrname=\n').errname).toBe('');
  });

  it.each([
    ['no ns_per_call', 'calls=1\nerrname=\n', /no numeric ns_per_call=/],
    ['a non-number', 'calls=1\nns_per_call=fast\nerrname=\n', /no numeric ns_per_call=/],
    ['no errname', 'calls=1\nns_per_call=1\n', /no errname=/],
  ])('refuses output with %s', (_what, text, message) => {
    expect(() => parseLoopOutput(text)).toThrow(message);
  });
});

describe('parseCpuTime', () => {
  it.each([
    ['cpu_user_s=0.108 cpu_sys_s=0.112\n', 0.22],
    ['cr-shim: translated syscalls\ncpu_user_s=0.000 cpu_sys_s=1.500\ncr-shim: peak RSS 1 KiB\n', 1.5],
    ['loop: refusing 62 (kill)\n', undefined],
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
