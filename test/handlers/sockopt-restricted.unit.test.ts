/** The options 6.16 restricted: where the kernel still answers them, and what the old kernel stored and read, as data. */
import { describe, expect, it } from 'vitest';
import { RESTRICTED, RESTRICTED_OPTIONS } from '../../src/handlers/sockopt-restricted.js';
import { BEHAVIOURS } from '../../src/handlers/behaviours.js';
import { errnoName } from '../../src/native/errno.js';

const UDP = { family: 2, type: 2, protocol: 17 };
const TCP = { family: 2, type: 1, protocol: 6 };
const TCP6 = { family: 10, type: 1, protocol: 6 };
const MPTCP = { family: 2, type: 1, protocol: 262 };
const UNIX = { family: 1, type: 2, protocol: 0 };
const NETLINK = { family: 16, type: 3, protocol: 0 };
const SOCKETS = { UDP, TCP, TCP6, MPTCP, UNIX, NETLINK };

const kept: Record<string, (keyof typeof SOCKETS)[]> = {
  SO_PASSCRED: ['UNIX', 'NETLINK'],
  SO_PASSSEC: ['UNIX', 'NETLINK'],
  SO_PASSPIDFD: ['UNIX'],
  SO_TXREHASH: ['TCP', 'TCP6'],
};
const stored: { option: string; value: number; expect: string }[] = [
  { option: 'SO_PASSCRED', value: 5, expect: '1' },
  { option: 'SO_PASSPIDFD', value: -1, expect: '1' },
  { option: 'SO_PASSSEC', value: 0, expect: '0' },
  { option: 'SO_TXREHASH', value: 1, expect: '1' },
  { option: 'SO_TXREHASH', value: 0, expect: '0' },
  { option: 'SO_TXREHASH', value: -1, expect: '7' },
  { option: 'SO_TXREHASH', value: 2, expect: 'EINVAL' },
  { option: 'SO_TXREHASH', value: -2, expect: 'EINVAL' },
];
const byName = (n: string) => [...RESTRICTED.values()].find((o) => o.name === n)!;

describe('restricted SOL_SOCKET options', () => {
  it.each(Object.entries(kept))('6.16 still answers %s on %j', (name, where) => {
    const got = Object.entries(SOCKETS).filter(([, s]) => byName(name).kept(s)).map(([k]) => k);
    expect(got).toEqual(where);
  });

  it.each(stored)('$option set to $value stores $expect (default 7)', ({ option, value, expect: want }) => {
    const r = byName(option).store(value, 7);
    expect(typeof r === 'number' ? String(r) : errnoName(r.errno)).toBe(want);
  });

  it('a socket never set reads 0, SO_TXREHASH on an internet socket the sysctl default', () => {
    expect(byName('SO_PASSCRED').initial(UDP, 7)).toBe(0);
    expect(byName('SO_TXREHASH').initial(UDP, 7)).toBe(7);
    expect(byName('SO_TXREHASH').initial(UNIX, 7)).toBe(0);
  });

  it('the catalogue row traps exactly these options', () => {
    const row = BEHAVIOURS.find((b) => b.id === 'sockopt-restricted')!;
    for (const t of row.traps!) expect('values' in t ? [...t.values].sort((a, b) => a - b) : t).toEqual(RESTRICTED_OPTIONS);
  });
});
