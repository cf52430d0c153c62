import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/bpf/encode.js';
import { BpfError } from '../../src/errors.js';

describe('encode/decode', () => {
  it('writes struct sock_filter little-endian, 8 bytes per insn', () => {
    const buf = encode([{ code: 0x15, jt: 1, jf: 2, k: 0xc000003e }]);
    expect([...buf]).toEqual([0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  });

  it('round-trips every field at its extremes', () => {
    const insns = [
      { code: 0xffff, jt: 255, jf: 0, k: 0xffffffff },
      { code: 0, jt: 0, jf: 255, k: 0 },
      { code: 0x06, jt: 7, jf: 9, k: 0x7fff0000 },
    ];
    expect(decode(encode(insns))).toEqual(insns);
    const bytes = encode(insns);
    expect(encode(decode(bytes))).toEqual(bytes);
  });

  it('decodes from a Uint8Array view at an offset', () => {
    const bytes = new Uint8Array(24);
    bytes.set(encode([{ code: 6, jt: 0, jf: 0, k: 1 }]), 8);
    expect(decode(bytes.subarray(8, 16))).toEqual([{ code: 6, jt: 0, jf: 0, k: 1 }]);
  });

  it('refuses a length that is not a multiple of 8', () => {
    expect(() => decode(new Uint8Array(9))).toThrow(BpfError);
  });

  it('refuses fields that do not fit', () => {
    expect(() => encode([{ code: 0x15, jt: 256, jf: 0, k: 0 }])).toThrow(/insn 0: field out of range/);
  });
});
