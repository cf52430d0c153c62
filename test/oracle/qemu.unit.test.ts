import { describe, expect, it } from 'vitest';
import { OUT_BEGIN, OUT_END } from '../../src/oracle/initramfs.js';
import { extractStream, guestCpu } from '../../src/oracle/qemu.js';

describe('extractStream', () => {
  const payload = Buffer.from('tar bytes \x00\x01\x02');
  const b64 = payload.toString('base64').replace(/(.{8})/g, '$1\r\n');
  it.each([
    { what: 'a whole stream with CRLF line ends', serial: `noise\n${OUT_BEGIN}\n${b64}\n${OUT_END}\n`, want: payload },
    { what: 'a stream cut short (no end line)', serial: `${OUT_BEGIN}\n${b64}`, want: undefined },
    { what: 'nothing', serial: '', want: undefined },
  ])('$what', ({ serial, want }) => {
    expect(extractStream(serial)).toEqual(want);
  });
});

describe('guestCpu', () => {
  it.each([
    { accel: 'kvm' as const, flags: 'fpu', want: 'host' },
    { accel: 'tcg' as const, flags: 'fpu sse pku ospke', want: 'max' },
    { accel: 'tcg' as const, flags: 'fpu sse', want: 'max,pku=off' },
  ])('$accel with host flags "$flags" -> $want', ({ accel, flags, want }) => {
    expect(guestCpu(accel, `processor\t: 0\nflags\t\t: ${flags}\n`)).toBe(want);
  });
});
