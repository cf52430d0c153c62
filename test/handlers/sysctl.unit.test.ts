import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { makeSysctlHandler, sysctlPermitted, type BinarySysctl } from '../../src/handlers/sysctl.js';
import type { Call } from '../../src/handlers/types.js';
import { resolvePersona } from '../../src/persona/resolve.js';
import type { TraceeMemory } from '../../src/native/tracee-memory.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { parseStatus } from '../../src/native/tracee-creds.js';

const READ = 4;
const WRITE = 2;
const root = { euid: 0, egid: 0, fsuid: 0, groups: [], capEff: 0n };
const user = { euid: 1000, egid: 1000, fsuid: 1000, groups: [1000], capEff: 0n };
const wheel = { ...user, groups: [1000, 0] };

describe('sysctlPermitted (proc_sys test_perm)', () => {
  it.each([
    ['root reads 0444', 0o444, READ, root, true],
    ['root writes 0444 (no owner w bit: refused even for root)', 0o444, WRITE, root, false],
    ['root writes 0644', 0o644, WRITE, root, true],
    ['user reads 0644', 0o644, READ, user, true],
    ['user writes 0644', 0o644, WRITE, user, false],
    ['user reads 0600', 0o600, READ, user, false],
    ['group-0 member reads 0640', 0o640, READ, wheel, true],
    ['group-0 member writes 0660', 0o660, WRITE, wheel, true],
    ['user writes 0666', 0o666, WRITE, user, true],
  ] as const)('%s', (_what, mode, op, creds, allowed) => {
    expect(sysctlPermitted(mode, op, creds)).toBe(allowed);
  });
});

describe('parseStatus', () => {
  it('reads effective ids, groups and CapEff', () => {
    const c = parseStatus('Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t10\t11\t12\t13\nGroups:\t4 24 27 \nCapEff:\t000001ffffffffff\n');
    expect(c).toEqual({ euid: 1001, fsuid: 1003, egid: 11, groups: [4, 24, 27], capEff: 0x1ffffffffffn });
  });
});

/**
 * The pid-reuse window: the task's credentials and memory belong to the pid only while the
 * notification is valid. A fake task whose notification stops being valid after the first check
 * (the task died and its pid was reused) must get no write into memory and no /proc/sys write.
 */
describe('_sysctl handler re-checks the notification before every write and action', () => {
  const persona = resolvePersona('2.6.32', new TableRegistry());
  const lookup = (name: readonly number[]): BinarySysctl | undefined =>
    name.join('.') === '1.2' ? { name: [1, 2], path: 'kernel/osrelease', type: 'string' } : undefined;
  const ARGS = 0x1000n;
  const NAME = 0x2000n;
  const OLDVAL = 0x3000n;
  const OLDLENP = 0x4000n;

  /** A task whose memory holds a struct __sysctl_args asking for kernel.osrelease; logs what happens, in order. */
  function fakeCall(validChecks: number): { call: Call; events: string[] } {
    const events: string[] = [];
    const args = Buffer.alloc(80);
    args.writeBigUInt64LE(NAME, 0);
    args.writeInt32LE(2, 8);
    args.writeBigUInt64LE(OLDVAL, 16);
    args.writeBigUInt64LE(OLDLENP, 24);
    let checks = 0;
    const mem = {
      read: (addr: bigint, len: number) => (addr === ARGS ? args.subarray(0, len) : null),
      readWord: (addr: bigint) => (addr === OLDLENP ? 64n : null),
      readI32: (addr: bigint) => (addr === NAME ? 1 : addr === NAME + 4n ? 2 : null),
      write: (addr: bigint) => (events.push(`write ${addr.toString(16)}`), true),
      writeWord: (addr: bigint) => (events.push(`write ${addr.toString(16)}`), true),
    } as unknown as TraceeMemory;
    const call: Call = {
      arch: 'x86_64', nr: 156, name: '_sysctl', pid: process.pid, args: [ARGS], mem,
      stillValid: () => {
        const valid = checks++ < validChecks;
        events.push(valid ? 'valid' : 'invalid');
        return valid;
      },
    };
    return { call, events };
  }

  it('answers a valid task, each write right after a check that passed', () => {
    const { call, events } = fakeCall(Infinity);
    expect(makeSysctlHandler('sysctl', lookup, false).handle(call, { persona })).toEqual({ kind: 'return', val: 0n });
    expect(events.filter((e) => e.startsWith('write'))).toEqual(['write 3000', 'write 4000']);
    events.forEach((e, i) => e.startsWith('write') && expect(events[i - 1]).toBe('valid'));
  });

  it.each([1, 2, 3])('writes nothing after the notification went invalid (valid for %i checks)', (n) => {
    const { call, events } = fakeCall(n);
    const reply = makeSysctlHandler('sysctl', lookup, false).handle(call, { persona });
    expect(reply).toEqual({ kind: 'error', errno: constants.errno.ESRCH });
    expect(events.slice(events.indexOf('invalid'))).toEqual(['invalid']);
  });
});
