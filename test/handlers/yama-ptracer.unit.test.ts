/** Reading a task's pid in its own pid namespace from its status text (NSpid, 4.1). */
import { describe, expect, it } from 'vitest';
import { innermostPid } from '../../src/handlers/yama-ptracer.js';

const cases: { status: string; expect: number | undefined }[] = [
  { status: 'Name:\tsh\nNSpid:\t4242\nNSpgid:\t4242\n', expect: 4242 },
  { status: 'Name:\tsh\nNSpid:\t4242\t17\t1\nNSpgid:\t1\n', expect: 1 },
  { status: 'Name:\tsh\nPid:\t4242\n', expect: undefined },
];

describe('innermostPid', () => {
  it.each(cases)('$expect', ({ status, expect: want }) => expect(innermostPid(status)).toBe(want));
});
