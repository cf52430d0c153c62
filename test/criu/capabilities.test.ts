/** Capability names, masks and this host's bounding set. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { capName, capNames, hostCaps, parseCaps } from '../../src/criu/capabilities.js';
import { dropCaps, readCaps } from '../../src/criu/image/creds.js';
import { varintField, WireMessage } from '../../src/criu/image/protobuf-wire.js';

const PARSE: [string[], bigint][] = [
  [['CAP_SYS_RESOURCE'], 1n << 24n],
  [['sys_resource'], 1n << 24n],
  [['cap_net_raw,CAP_SYS_ADMIN'], (1n << 13n) | (1n << 21n)],
  [['CAP_CHECKPOINT_RESTORE', 'chown'], (1n << 40n) | 1n],
  [['63'], 1n << 63n],
  [[], 0n],
];

describe('capabilities', () => {
  it.each(PARSE)('%j is mask %s', (specs, mask) => {
    expect(parseCaps(specs)).toBe(mask);
  });

  it('names numbers, and numbers it cannot name', () => {
    expect(capName(24)).toBe('CAP_SYS_RESOURCE');
    expect(capName(40)).toBe('CAP_CHECKPOINT_RESTORE');
    expect(capName(50)).toBe('CAP_50');
    expect(capNames((1n << 24n) | (1n << 0n))).toEqual(['CAP_CHOWN', 'CAP_SYS_RESOURCE']);
  });

  it('refuses an unknown name with the fix', () => {
    expect(() => parseCaps(['CAP_FLY'])).toThrow(UsageError);
    expect(() => parseCaps(['CAP_FLY'])).toThrow(/unknown capability CAP_FLY/);
  });

  it('reads the bounding set this process has', () => {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    expect(hostCaps().bounding).toBe(BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(status)![1]!}`));
  });

  it('drops capabilities from every set of a creds_entry, keeping the other fields and the word count', () => {
    // uid 0, cap_prm and cap_eff {0xffffffff, 0x1ff} unpacked, cap_bnd the same, secbits 0
    const words = (no: number) => [varintField(no, 0xffffffff), varintField(no, 0x1ff)];
    const creds = new WireMessage([varintField(1, 0), ...words(10), ...words(11), ...words(12), varintField(13, 0)]);
    dropCaps(creds, (1n << 24n) | (1n << 33n));
    const caps = readCaps(creds);
    expect(caps.prm).toBe(0x1ff_ffff_ffffn & ~((1n << 24n) | (1n << 33n)));
    expect(caps.eff).toBe(caps.prm);
    expect(caps.bnd).toBe(caps.prm);
    expect(caps.inh).toBe(0n);
    expect(creds.repeatedUint(10)).toHaveLength(2);
    expect(creds.uint(13)).toBe(0);
  });
});
