/** Grouping chains of filters into the filters tasks share (src/bpf/filter-sharing.ts). */
import { describe, expect, it } from 'vitest';
import { shareChains, shareLinked } from '../../src/bpf/filter-sharing.js';
import { BpfError } from '../../src/errors.js';

const f = (byte: number): Buffer => Buffer.from([0x06, 0, 0, 0, byte, 0, 0xff, 0x7f]);
const A = f(1);
const B = f(2);
const C = f(3);

describe('shareChains (live threads: identity by content and position)', () => {
  it.each([
    [
      'one thread, two filters',
      [{ tid: 10, mode: 2, filters: [A, B] }],
      [[undefined, [10]], [0, [10]]],
      [[10, [0, 1]]],
    ],
    [
      'a shared base, one thread with its own filter on top',
      [{ tid: 10, mode: 2, filters: [A] }, { tid: 11, mode: 2, filters: [A, B] }],
      [[undefined, [10, 11]], [0, [11]]],
      [[10, [0]], [11, [0, 1]]],
    ],
    [
      'the same program on different bases is two filters',
      [{ tid: 10, mode: 2, filters: [A, C] }, { tid: 11, mode: 2, filters: [B, C] }],
      [[undefined, [10]], [0, [10]], [undefined, [11]], [2, [11]]],
      [[10, [0, 1]], [11, [2, 3]]],
    ],
    [
      'a thread without filters',
      [{ tid: 10, mode: 0, filters: [] }, { tid: 11, mode: 2, filters: [A] }],
      [[undefined, [11]]],
      [[10, []], [11, [0]]],
    ],
  ] as const)('%s', (_what, threads, filters, chains) => {
    const s = shareChains(threads.map((t) => ({ ...t, filters: t.filters.map((insns) => ({ insns, flags: 0 })) })));
    expect(s.filters.map((x) => [x.prev, x.holders])).toEqual(filters);
    expect(s.holders.map((h) => [h.id, h.chain])).toEqual(chains);
  });

  it('different flags make different filters', () => {
    const s = shareChains([
      { tid: 1, mode: 2, filters: [{ insns: A, flags: 0 }] },
      { tid: 2, mode: 2, filters: [{ insns: A, flags: 2 }] },
    ]);
    expect(s.filters).toHaveLength(2);
  });
});

describe('shareLinked (CRIU images: identity by index and prev)', () => {
  const filters = [
    { index: 0, insns: A, flags: 0 },
    { index: 1, insns: B, prev: 0, flags: 1 },
    { index: 2, insns: A, flags: 0 },
  ];
  it('follows prev links from each task\'s newest filter', () => {
    const s = shareLinked(filters, [
      { pid: 100, filterIndex: 1, mode: 2 },
      { pid: 101, filterIndex: 0, mode: 2 },
      { pid: 102, filterIndex: 2, mode: 2 },
      { pid: 103, mode: 0 },
    ]);
    expect(s.filters.map((x) => [x.id, x.prev, x.holders])).toEqual([[0, undefined, [100, 101]], [1, 0, [100]], [2, undefined, [102]]]);
    expect(s.holders.map((h) => [h.id, h.mode, h.chain])).toEqual([[100, 2, [0, 1]], [101, 2, [0]], [102, 2, [2]], [103, 0, []]]);
  });

  it.each([
    ['a task naming a missing filter', [{ index: 0, insns: A, flags: 0 }], 5, /task 1: filter 5 is not in the image/],
    ['a cycle of prev links', [{ index: 0, insns: A, prev: 1, flags: 0 }, { index: 1, insns: B, prev: 0, flags: 0 }], 1, /filter 1 is its own ancestor/],
  ] as const)('refuses %s', (_what, fs, idx, message) => {
    expect(() => shareLinked(fs, [{ pid: 1, filterIndex: idx, mode: 2 }])).toThrow(BpfError);
    expect(() => shareLinked(fs, [{ pid: 1, filterIndex: idx, mode: 2 }])).toThrow(message);
  });
});
