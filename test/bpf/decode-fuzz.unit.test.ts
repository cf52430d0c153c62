/**
 * Fuzzing the BPF decoder and what reads its output, bounded and seeded (a few seconds): damaged
 * and random filters must be decoded and checked as the kernel would, or refused with a BpfError
 * on one line, never another exception; a program the checker accepts disassembles, assembles
 * back to the same bytes, and runs in the emulator to a verdict.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { disasm } from '../../src/bpf/disasm.js';
import { emulate } from '../../src/bpf/emulate.js';
import { decode, encode } from '../../src/bpf/encode.js';
import { validate } from '../../src/bpf/validate.js';
import { prepareSession } from '../../src/supervisor/session.js';
import { BpfError } from '../../src/errors.js';
import { SeededRandom } from '../helpers/seeded-random.js';

const SEED = 14;
const BASES = [prepareSession('2.6.32', { checkHost: false }).filter, prepareSession('5.10', { checkHost: false }).filter];

/** One case: decode, check, and for a valid program disassemble, reassemble and run. */
function exercise(bytes: Uint8Array, rnd: SeededRandom, where: string): 'valid' | 'refused' {
  let insns;
  try {
    insns = decode(bytes);
    validate(insns);
  } catch (err) {
    if (!(err instanceof BpfError)) throw new Error(`${where}: not a BpfError: ${(err as Error).stack ?? String(err)}`);
    if (err.message.includes('\n')) throw new Error(`${where}: a message on several lines: ${err.message}`);
    return 'refused';
  }
  const text = disasm(insns);
  const back = encode(asm(text));
  if (!back.equals(Buffer.from(bytes))) throw new Error(`${where}: disasm then asm changed the program:\n${text}`);
  const verdict = emulate(insns, { nr: rnd.below(600), arch: rnd.below(2) === 0 ? AUDIT_ARCH.x86_64 : rnd.u32(), args: [BigInt(rnd.u32())] });
  expect(verdict, where).toBeDefined();
  return 'valid';
}

describe(`BPF decoder fuzz (seed ${SEED})`, () => {
  it('cr-shim\'s own filters, damaged 800 ways', () => {
    const rnd = new SeededRandom(SEED);
    const seen = { valid: 0, refused: 0 };
    for (let i = 0; i < 800; i++) seen[exercise(rnd.mutate(BASES[rnd.below(BASES.length)]!), rnd, `case ${i}`)]++;
    // Both sides are reached: the damage is neither always fatal nor always harmless.
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('3000 random programs of 1 to 64 instructions', () => {
    const rnd = new SeededRandom(SEED + 1);
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.alloc(8 * (1 + rnd.below(64)));
      for (let o = 0; o < bytes.length; o += 4) bytes.writeUInt32LE(rnd.u32(), o);
      exercise(bytes, rnd, `case ${i}`);
    }
  });
});
