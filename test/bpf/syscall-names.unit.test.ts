/** Syscall names from cr-shim's tables for disasm and asm (src/bpf/syscall-names.ts). */
import { describe, expect, it } from 'vitest';
import { tableNaming } from '../../src/bpf/syscall-names.js';
import { UsageError } from '../../src/errors.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();

describe('tableNaming', () => {
  const host = tableNaming(registry);
  const old = tableNaming(registry, '2.6.32-754.el6.x86_64');

  it.each([
    ['x86_64', 63, 'uname'],
    ['x86_64', 156, '_sysctl'],
    ['ia32', 122, 'uname'],
    ['ia32', 1, 'exit'],
  ] as const)('%s %i is %s, both ways', (arch, nr, name) => {
    expect(host.syscallName(arch, nr)).toBe(name);
    expect(host.syscallNumber(arch, name)).toBe(nr);
    expect(old.syscallName(arch, nr)).toBe(name);
  });

  it('an old release names its own calls and falls back to the host\'s for newer ones', () => {
    expect(old.releases.x86_64).toBe('2.6.32');
    expect(old.syscallName('x86_64', 318)).toBe('getrandom');
    expect(old.syscallNumber('x86_64', 'getrandom')).toBe(318);
  });

  it('numbers no table has stay unnamed', () => {
    expect(host.syscallName('x86_64', 500)).toBeUndefined();
    expect(host.syscallNumber('x86_64', 'banana')).toBeUndefined();
  });

  it('refuses a release that never existed', () => {
    expect(() => tableNaming(registry, '3.25')).toThrow(UsageError);
  });
});
