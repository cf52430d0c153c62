/**
 * Does the running kernel accept a compiled filter, and does it agree with the
 * emulator? A child Node process sets no_new_privs, installs the filter with
 * seccomp(SECCOMP_SET_MODE_FILTER) through koffi, then makes raw syscalls and
 * reports the errno each returns. Skipped off x86_64 Linux.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import { encode } from '../../src/bpf/encode.js';
import type { Action, Plan, PlanEntry } from '../../src/plan/types.js';


// Numbers no x86_64 kernel defines, so only the filter can answer them.
const PROBES: [number, Action][] = [
  [500, { kind: 'errno', errno: 11 }],
  [501, { kind: 'errno', errno: 12 }],
  [502, { kind: 'notify', handler: 'none' }], // no listener: the kernel answers ENOSYS
  [503, { kind: 'allow' }], // allowed, so the kernel itself answers ENOSYS
];
const OTHERWISE = 95; // EOPNOTSUPP, for numbers the plan does not list

const entries: PlanEntry[] = [
  ...Array.from({ length: 460 }, (_, nr): PlanEntry => ({ nr, name: `n${nr}`, reason: 'node needs it', basis: 'same', action: { kind: 'allow' } })),
  ...PROBES.map(([nr, action]): PlanEntry => ({ nr, name: `probe${nr}`, reason: 'probe', basis: 'emulated', action })),
];
const plan: Plan = {
  persona: 'test',
  arches: [
    { arch: 'x86_64', personaRelease: 't', hostRelease: 't', entries, otherwise: { kind: 'errno', errno: OTHERWISE } },
    { arch: 'ia32', personaRelease: 't', hostRelease: 't', entries: [], otherwise: { kind: 'errno', errno: 38 } },
  ],
  x32: { kind: 'errno', errno: 38 },
  unknownArch: { kind: 'errno', errno: 38 },
};

const CHILD = `
import koffi from 'koffi';
const lib = koffi.load('libc.so.6');
const prctl = lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
const seccomp = lib.func('long syscall(long, long, long, void *)');
const call = lib.func('long syscall(long)');
const filter = Buffer.from(process.argv[1], 'hex');
const fprog = Buffer.alloc(16); // struct sock_fprog { u16 len; struct sock_filter *filter; }
fprog.writeUInt16LE(filter.length / 8, 0);
fprog.writeBigUInt64LE(BigInt(koffi.address(filter)), 8);
const out = {};
out.nnp = prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0) === 0 ? 0 : koffi.errno();
out.install = seccomp(317 /* SYS_seccomp */, 1 /* SECCOMP_SET_MODE_FILTER */, 0, fprog) === 0 ? 0 : koffi.errno();
out.errno = {};
for (const nr of JSON.parse(process.argv[2])) out.errno[nr] = call(nr) === -1 ? koffi.errno() : 0;
process.stdout.write(JSON.stringify(out));
`;

describe('kernel accepts the compiled filter and agrees with the emulator', () => {
  it('installs and answers probes as emulated', () => {
    const { insns } = compilePlan(plan);
    const numbers = [...PROBES.map(([nr]) => nr), 600, 1000];
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', CHILD, encode(insns).toString('hex'), JSON.stringify(numbers)],
      { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout) as { nnp: number; install: number; errno: Record<string, number> };
    expect(out.nnp).toBe(0);
    expect(out.install).toBe(0);
    for (const nr of numbers) {
      const v = emulate(insns, { nr, arch: AUDIT_ARCH.x86_64 });
      // ALLOW and USER_NOTIF without a listener both end in ENOSYS for these unused numbers.
      const want = v.action === 'ERRNO' ? v.data : 38;
      expect(out.errno[nr], `nr ${nr} (${v.action})`).toBe(want);
    }
    expect(out.errno[600]).toBe(OTHERWISE);
  });
});
