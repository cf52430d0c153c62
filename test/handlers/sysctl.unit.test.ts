import { describe, expect, it } from 'vitest';
import { sysctlPermitted } from '../../src/handlers/sysctl.js';
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
