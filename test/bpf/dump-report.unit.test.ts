/** What `cr-shim bpf dump` prints for live threads and CRIU images (src/bpf/dump-report.ts). */
import { describe, expect, it } from 'vitest';
import { asm } from '../../src/bpf/asm.js';
import { dumpJson, dumpText, flagNames } from '../../src/bpf/dump-report.js';
import { encode } from '../../src/bpf/encode.js';
import { shareChains, shareLinked } from '../../src/bpf/filter-sharing.js';

const A = encode(asm('return ALLOW'));
const B = encode(asm('A = sys_number\nif (A != 0x3e7) goto 0003\nreturn ERRNO(1)\nreturn ALLOW'));

describe('flagNames', () => {
  it.each([
    [0, 'none'],
    [2, 'LOG'],
    [1 | 8, 'TSYNC|NEW_LISTENER'],
    [0x100, '0x100'],
    [undefined, 'unknown'],
  ])('%s → %s', (flags, text) => expect(flagNames(flags)).toBe(text));
});

describe('dumpText', () => {
  const sharing = shareChains([
    { tid: 10, mode: 2, filters: [{ insns: A, flags: 0 }] },
    { tid: 11, mode: 2, filters: [{ insns: A, flags: 0 }, { insns: B, flags: 2 }] },
  ]);
  const text = dumpText({ title: 'pid 10 (prog)', holder: 'thread', order: 'filter 0 is the oldest' }, sharing);

  it('summarises holders, then each filter with its holders and disassembly', () => {
    expect(text.split('\n').slice(0, 3)).toEqual([
      '# pid 10 (prog): 2 threads, 2 filters; filter 0 is the oldest',
      '# thread 10: seccomp filter, filters 0',
      '# thread 11: seccomp filter, filters 0 1',
    ]);
    expect(text).toContain('# filter 0: 1 insn, first in its chain, flags none; threads 10 11');
    expect(text).toContain('# filter 1: 4 insns, on top of filter 0, flags LOG; threads 11');
    expect(text).toContain(' 0001: 0x15 0x00 0x01 0x000003e7  if (A != 0x3e7) goto 0003');
  });

  it('a task name or path with control characters stays on the header line, escaped', () => {
    // A process picks its own comm (PR_SET_NAME); an image path may hold a newline.
    const hostile = dumpText({ title: 'pid 10 (ev\u001b[31mil\nx)', holder: 'thread', order: 'filter 0 is the oldest' }, sharing);
    expect(hostile.split('\n')[0]).toBe('# pid 10 (ev\\x1b[31mil\\nx): 2 threads, 2 filters; filter 0 is the oldest');
  });

  it('image filters: tasks by pid', () => {
    const s = shareLinked([{ index: 0, insns: A, flags: 1 }], [{ pid: 7, filterIndex: 0, mode: 2 }, { pid: 8, mode: 0 }]);
    const t = dumpText({ title: 'image /img', holder: 'task', order: 'o' }, s);
    expect(t).toContain('# image /img: 2 tasks, 1 filter; o');
    expect(t).toContain('# task 8: seccomp disabled, no filters');
    expect(t).toContain('# filter 0: 1 insn, first in its chain, flags TSYNC; tasks 7');
  });
});

describe('dumpJson', () => {
  it('holders and filters with their bytes in hex', () => {
    const s = shareChains([{ tid: 10, mode: 2, filters: [{ insns: A, flags: 0 }] }]);
    expect(dumpJson({ title: 'pid 10', holder: 'thread', order: 'o' }, s, { pid: 10 })).toEqual({
      pid: 10,
      source: 'pid 10',
      order: 'o',
      holders: [{ tid: 10, mode: 2, filters: [0] }],
      filters: [{ id: 0, prev: null, insns: 1, flags: 0, flagNames: 'none', threads: [10], bytes: A.toString('hex') }],
    });
  });
});
