import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH, isArch } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { disasm } from '../../src/bpf/disasm.js';
import { emulate, seccompDataBytes } from '../../src/bpf/emulate.js';
import type { SeccompData } from '../../src/bpf/emulate.js';
import { encode } from '../../src/bpf/encode.js';
import { validate } from '../../src/bpf/validate.js';
import { BpfError } from '../../src/errors.js';

interface Run {
  data: { nr: number | string; arch: string; ip?: string; args?: string[] };
  expect: { action: string; data: number | string; pc?: number; path?: number[] };
}
interface Case {
  name: string;
  seccomp: boolean;
  program: string[];
  runs: Run[];
}

const file = new URL('./cases/emulate.json', import.meta.url);
const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] };

function toData(d: Run['data']): SeccompData {
  return {
    nr: Number(d.nr),
    arch: isArch(d.arch) ? AUDIT_ARCH[d.arch] : Number(d.arch),
    ip: BigInt(d.ip ?? 0),
    args: (d.args ?? []).map((a) => BigInt(a)),
  };
}

describe('emulate: hand-written filters (cases/emulate.json)', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const insns = asm(c.program.join('\n'));

      it(c.seccomp ? 'is accepted by validate()' : 'is refused by validate()', () => {
        if (c.seccomp) expect(() => validate(insns)).not.toThrow();
        else expect(() => validate(insns)).toThrow(BpfError);
      });

      it.each(c.runs.map((r) => [JSON.stringify(r.data), r] as const))('%s', (_label, run) => {
        const v = emulate(insns, toData(run.data));
        expect(v.action).toBe(run.expect.action);
        expect(v.data).toBe(Number(run.expect.data));
        if (run.expect.pc !== undefined) expect(v.pc).toBe(run.expect.pc);
        if (run.expect.path !== undefined) expect(v.path).toEqual(run.expect.path);
        expect(v.path[v.path.length - 1]).toBe(v.pc);
      });

      it('survives disasm → asm byte for byte', () => {
        expect(encode(asm(disasm(insns)))).toEqual(encode(insns));
      });
    });
  }
});

describe('emulate: edges', () => {
  it('lays out seccomp_data little-endian, args low word first', () => {
    const b = seccompDataBytes({ nr: -1, arch: AUDIT_ARCH.x86_64, ip: 0x1122334455667788n, args: [0xaabbccdd00000001n] });
    expect(b.length).toBe(64);
    expect(b.readUInt32LE(0)).toBe(0xffffffff);
    expect(b.readUInt32LE(4)).toBe(0xc000003e);
    expect(b.readUInt32LE(8)).toBe(0x55667788);
    expect(b.readUInt32LE(12)).toBe(0x11223344);
    expect(b.readUInt32LE(16)).toBe(1);
    expect(b.readUInt32LE(20)).toBe(0xaabbccdd);
  });

  it('throws BpfError with the pc when execution falls off the end', () => {
    const insns = asm('A = 0x1');
    expect(() => emulate(insns, { nr: 0, arch: 0 })).toThrow(/insn 1: fell off the end/);
  });
});
