import { describe, expect, it } from 'vitest';
import { utsnameBytes } from '../../src/handlers/uname.js';
import type { Persona } from '../../src/persona/types.js';

const persona: Persona = {
  release: '2.6.32-754.el6.x86_64', mainline: '2.6.32', exact: true, version: '#1 SMP Tue Jun 19 21:26:04 UTC 2018',
  sysname: 'Linux', procVersion: '', origin: 'test',
};
const real = { nodename: 'node', machine: 'x86_64', domainname: '(none)' };

function fields(buf: Buffer, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < buf.length; i += width) out.push(buf.subarray(i, i + width).toString('latin1').replace(/\0.*$/s, ''));
  return out;
}

describe('utsnameBytes', () => {
  it.each([
    ['uname', 390, 65, ['Linux', 'node', '2.6.32-754.el6.x86_64', '#1 SMP Tue Jun 19 21:26:04 UTC 2018', 'x86_64', '(none)']],
    ['olduname', 325, 65, ['Linux', 'node', '2.6.32-754.el6.x86_64', '#1 SMP Tue Jun 19 21:26:04 UTC 2018', 'x86_64']],
    ['oldolduname', 45, 9, ['Linux', 'node', '2.6.32-7', '#1 SMP T', 'x86_64']],
  ] as const)('%s: %i bytes of %i-byte fields', (name, size, width, expected) => {
    const b = utsnameBytes(name, persona, real);
    expect(b.length).toBe(size);
    expect(fields(b, width)).toEqual(expected);
    // Every field keeps a terminating NUL, as the kernel's fixed arrays do.
    for (let i = width - 1; i < size; i += width) expect(b[i]).toBe(0);
  });
});
