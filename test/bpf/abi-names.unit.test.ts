/** The --arch names of the BPF tools, as data (cases/abi-names.json) replayed through the emulator. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ABI_NAMES, abiNamesText, resolveAbi, resolveTableAbi, seccompCall } from '../../src/bpf/abi-names.js';
import { asm } from '../../src/bpf/asm.js';
import { returnName } from '../../src/bpf/disasm.js';
import { emulate } from '../../src/bpf/emulate.js';
import { validate } from '../../src/bpf/validate.js';
import { UsageError } from '../../src/errors.js';

interface Cases {
  names: { name: string; audit: string; x32: boolean }[];
  refused: string[];
  program: string[];
  runs: { arch: string; nr: number | string; expect: string; seenNr: number | string }[];
}
const cases = JSON.parse(readFileSync(new URL('./cases/abi-names.json', import.meta.url), 'utf8')) as Cases;

describe('resolveAbi', () => {
  it.each(cases.names)('$name is AUDIT_ARCH $audit (x32 bit: $x32)', ({ name, audit, x32 }) => {
    const abi = resolveAbi('bpf emu', name);
    expect(abi.x32).toBe(x32);
    expect(seccompCall(abi, 1).arch).toBe(Number(audit));
  });

  it.each(cases.refused)('refuses %j with one line naming the accepted names', (name) => {
    expect(() => resolveAbi('bpf emu', name)).toThrow(UsageError);
    expect(() => resolveAbi('bpf emu', name)).toThrow(/^unknown arch /);
    try {
      resolveAbi('bpf emu', name);
    } catch (err) {
      expect((err as UsageError).hint).toBe(`one of ${abiNamesText()}`);
    }
  });

  it('lists every name in its usage text', () => {
    const text = abiNamesText();
    for (const { name } of ABI_NAMES) expect(text).toContain(name);
    expect(abiNamesText({ x32: false })).not.toContain('x32');
  });

  it('refuses x32 where calls are named from a table, and maps the others to the table arch', () => {
    expect(() => resolveTableAbi('bpf disasm', 'x32')).toThrow(/no x32 syscall table/);
    expect(resolveTableAbi('bpf disasm', 'i386')).toBe('ia32');
    expect(resolveTableAbi('bpf disasm', 'arm64')).toBe('aarch64');
  });
});

describe('emulate with each ABI name (cases/abi-names.json runs)', () => {
  const insns = asm(cases.program.join('\n'));
  it('the program is one the kernel accepts', () => expect(() => validate(insns)).not.toThrow());

  it.each(cases.runs)('$arch $nr is $expect', ({ arch, nr, expect: verdict, seenNr }) => {
    const data = seccompCall(resolveAbi('bpf emu', arch), Number(nr));
    expect(data.nr).toBe(Number(seenNr));
    expect(returnName(emulate(insns, data).value)).toBe(verdict);
  });
});
