/** The shared native-verdict cases through the TypeScript interpreter (ptrace's), as the C loops answer them. */
import { describe, expect, it } from 'vitest';
import { applyVerdict, lastComponentIn } from '../../src/mechanisms/native-verdict.js';
import type { TraceeMemory } from '../../src/native/tracee-memory.js';
import { describeCase, VERDICT_CASES, verdictOf, type Outcome } from './verdict-cases.js';

/** A task whose memory at every address holds `text` (null: nothing is readable or writable); `written` records writes. */
function fakeMemory(text: string | null, written: Buffer[]): TraceeMemory {
  return {
    readString: () => text,
    write: (_at: bigint, b: Uint8Array) => {
      if (text === null) return false;
      written.push(Buffer.from(b));
      return true;
    },
  } as unknown as TraceeMemory;
}

function replyOf(o: Outcome): unknown {
  if (o === 'defer') return 'handler';
  if (o === 'continue') return { kind: 'continue' };
  if ('errno' in o) return { kind: 'error', errno: o.errno };
  return { kind: 'return', val: BigInt(o.return) };
}

describe('lastComponentIn', () => {
  it.each(VERDICT_CASES.lastComponent)('$path in $names: $in', ({ path, names, in: want }) => {
    expect(lastComponentIn(path, names)).toBe(want);
  });
});

describe('applyVerdict', () => {
  it.each(VERDICT_CASES.apply.map((c) => [describeCase(c), c] as const))('%s', (_, c) => {
    const written: Buffer[] = [];
    const got = applyVerdict(verdictOf(c), [0x1000n, 0x2000n, 0n, 0n, 0n, 0n], fakeMemory(c.mem, written));
    expect(got).toEqual(replyOf(c.outcome));
    if (typeof c.outcome === 'object' && 'written' in c.outcome) expect(Buffer.concat(written).toString()).toBe(c.outcome.written);
  });
});
