/** Register offsets (struct user_regs_struct) and the scratch area of an in-place rewrite. */
import { describe, expect, it } from 'vitest';
import { ORIG_RAX, RAX, argOffset, redZone } from '../../src/mechanisms/ptrace/registers.js';
import { PATH_ARG, scratchAddress, supervisorFdPath } from '../../src/mechanisms/ptrace/rewrite.js';

describe('registers', () => {
  // Offsets as <sys/reg.h> numbers them (RAX 10, ORIG_RAX 15, RDI 14, RSI 13, RDX 12, R10 7, R8 9, R9 8, RBX 5, RCX 11, RBP 4), times 8.
  it.each([
    ['x86_64', [14, 13, 12, 7, 9, 8]],
    ['ia32', [5, 11, 12, 13, 14, 4]],
  ] as const)('%s arguments', (arch, regs) => {
    expect([0, 1, 2, 3, 4, 5].map((i) => argOffset(arch, i))).toEqual(regs.map((r) => r * 8));
  });
  it('rax and orig_rax', () => {
    expect([RAX, ORIG_RAX]).toEqual([80, 120]);
  });
  it('no register for aarch64 or a seventh argument', () => {
    expect(() => argOffset('aarch64', 0)).toThrow(RangeError);
    expect(() => argOffset('x86_64', 6)).toThrow(RangeError);
  });
});

describe('rewrite', () => {
  it.each([
    [0x7ffc0000n, 20, 128, 0x7ffbff60n],
    [0x7ffc0008n, 16, 128, 0x7ffbff70n],
    [0x1000n, 9, 0, 0xff0n],
  ])('sp %s, %s bytes, red zone %s → %s', (sp, len, zone, want) => {
    const at = scratchAddress(sp, len, zone);
    expect(at).toBe(want);
    expect(at % 16n).toBe(0n);
    expect(at + BigInt(len) <= sp - BigInt(zone)).toBe(true);
  });
  it('the path arguments of the open family', () => {
    expect(PATH_ARG).toEqual({ open: 0, openat: 1, openat2: 1 });
    expect(redZone('x86_64')).toBe(128);
    expect(supervisorFdPath(42, 7)).toBe('/proc/42/fd/7');
  });
});
