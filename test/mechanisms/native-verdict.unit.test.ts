/** Native verdicts interpreted in TypeScript (for ptrace) answer as the C loop does: verdicts as data. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyVerdict, lastComponentIn, type Verdict } from '../../src/mechanisms/native-verdict.js';
import type { TraceeMemory } from '../../src/native/tracee-memory.js';

interface ApplyRow {
  verdict: Omit<Verdict, 'bytes'> & { bytes?: string };
  mem: string | null;
  reply: 'handler' | { kind: string; errno?: number; val?: string };
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/verdicts.json', import.meta.url), 'utf8')) as {
  lastComponent: { path: string; names: string[]; in: boolean }[];
  apply: ApplyRow[];
};

/** A task whose memory at every address holds `text` (null: nothing is readable or writable). */
function fakeMemory(text: string | null): TraceeMemory {
  return {
    readString: () => text,
    write: () => text !== null,
  } as unknown as TraceeMemory;
}

describe('lastComponentIn', () => {
  it.each(cases.lastComponent)('$path in $names: $in', ({ path, names, in: want }) => {
    expect(lastComponentIn(path, names)).toBe(want);
  });
});

describe('applyVerdict', () => {
  it.each(cases.apply)('kind $verdict.kind with memory $mem → $reply', ({ verdict, mem, reply }) => {
    const { bytes, ...rest } = verdict;
    const v: Verdict = { ...rest, ...(bytes === undefined ? {} : { bytes: Buffer.from(bytes) }) };
    const got = applyVerdict(v, [0x1000n, 0x2000n, 0n, 0n, 0n, 0n], fakeMemory(mem));
    const want = typeof reply === 'string' ? reply : { ...reply, ...(reply.val === undefined ? {} : { val: BigInt(reply.val) }) };
    expect(got).toEqual(want);
  });
});
