// The wait status of a reaped root, as a shell would report it.
import { describe, expect, it } from 'vitest';
import { shellStatus } from '../../src/supervisor/reaper.js';

const CASES: [string, number, number][] = [
  ['exit 0', 0x0000, 0],
  ['exit 42', 42 << 8, 42],
  ['exit 255', 255 << 8, 255],
  ['killed by SIGKILL', 9, 137],
  ['killed by SIGSEGV with a core dump', 0x80 | 11, 139],
];

describe('shellStatus', () => {
  it.each(CASES)('%s', (_why, wstatus, status) => expect(shellStatus(wstatus)).toBe(status));
});
