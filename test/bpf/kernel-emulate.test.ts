/**
 * The emulator and the validator against the running kernel. Hand-written
 * filters (cases/kernel-classes.json, and every x86_64 run of
 * cases/emulate.json) are loaded into real processes by the seccomp fixture,
 * which makes the probe syscall under them; the kernel's answer must be what
 * the emulator's verdict implies. Programs of cases/kernel-refusals.json must
 * be refused by the kernel (EINVAL) exactly when validate() refuses them, at
 * the instruction and for the reason it names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { asm } from '../../src/bpf/asm.js';
import { emulate } from '../../src/bpf/emulate.js';
import type { Insn } from '../../src/bpf/insn.js';
import { validate } from '../../src/bpf/validate.js';
import { BpfError } from '../../src/errors.js';
import { buildFixture, expectedOutcome, installErrno, probe } from './fixtures/seccomp-fixture.js';

const fixture = buildFixture();
const EINVAL = 22;

interface ClassCase {
  name: string;
  program: string[];
  probes: { nr: number; args?: string[] }[];
}
interface EmuCase {
  name: string;
  seccomp: boolean;
  program: string[];
  runs: { data: { nr: number | string; arch: string; args?: string[] } }[];
}
interface Refusal {
  name: string;
  accepted: boolean;
  pc?: number;
  reason?: string;
  repeat?: number;
  program: string[];
}

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./cases/${name}`, import.meta.url), 'utf8')) as T;

/**
 * Numbers cases/emulate.json probes that the kernel may really run (ALLOW)
 * with the arguments given there, in a throwaway child: read/write/open/stat
 * on fd 0 or NULL, close(0), poll/mprotect/munmap of nothing, uname(NULL),
 * migrate_pages with no nodes, pidfd_getfd and faccessat2 on bad input, and
 * numbers no x86_64 kernel defines (500, x32).
 */
const SAFE = new Set([0, 1, 2, 3, 4, 5, 7, 10, 11, 63, 256, 438, 439, 500, 0x40000001]);

function check(insns: readonly Insn[], nr: number, args: bigint[]): void {
  const got = probe(fixture, insns, nr, args);
  const v = emulate(insns, { nr, arch: AUDIT_ARCH.x86_64, ip: got.ip, args });
  expect(got.outcome, `nr ${nr} args [${args.map((a) => `0x${a.toString(16)}`).join(', ')}]: emulator says ${v.action}(${v.data})`).toEqual(
    expectedOutcome(v, nr, got.native),
  );
}

describe('kernel vs emulator: every instruction class (cases/kernel-classes.json)', () => {
  const { cases } = read<{ cases: ClassCase[] }>('kernel-classes.json');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const insns = asm(c.program.join('\n'));
    expect(() => validate(insns)).not.toThrow();
    for (const p of c.probes) check(insns, p.nr, (p.args ?? []).map((a) => BigInt(a)));
  });
});

describe('kernel vs emulator: the emulator\'s own cases (cases/emulate.json, x86_64 runs)', () => {
  const { cases } = read<{ cases: EmuCase[] }>('emulate.json');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const insns = asm(c.program.join('\n'));
    if (!c.seccomp) {
      expect(installErrno(fixture, insns)).toBe(EINVAL);
      return;
    }
    for (const run of c.runs.filter((r) => r.data.arch === 'x86_64')) {
      const nr = Number(run.data.nr);
      expect(SAFE.has(nr), `nr ${nr} is not in the list of numbers safe to run`).toBe(true);
      check(insns, nr, (run.data.args ?? []).map((a) => BigInt(a)));
    }
  });
});

describe('kernel vs validator: refusals (cases/kernel-refusals.json)', () => {
  const { rows } = read<{ rows: Refusal[] }>('kernel-refusals.json');
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const lines = Array.from({ length: row.repeat ?? 1 }, () => row.program).flat();
    const insns = asm(lines.join('\n'));
    let refusal: BpfError | undefined;
    try {
      validate(insns);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      refusal = e;
    }
    expect(refusal === undefined, refusal?.message).toBe(row.accepted);
    if (!row.accepted) {
      expect(refusal!.pc).toBe(row.pc);
      expect(refusal!.message).toMatch(new RegExp(row.reason!));
    }
    expect(installErrno(fixture, insns)).toBe(row.accepted ? 0 : EINVAL);
  });
});
