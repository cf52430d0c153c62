/**
 * The shared native-verdict cases (cases/verdicts.json), typed, for the tests
 * that replay them through each interpreter.
 */
import fs from 'node:fs';
import { NativeKind, type NativeKindName } from '../../src/native/addon-types.js';
import type { Verdict } from '../../src/supervisor/routes.js';

export type Outcome = 'continue' | 'defer' | { errno: number } | { return: string; written: string };

export interface VerdictCase {
  verdict: Omit<Verdict, 'kind' | 'bytes'> & { kind: NativeKindName; bytes?: string };
  mem: string | null;
  outcome: Outcome;
  sigsys?: Outcome;
}

export const VERDICT_CASES = JSON.parse(fs.readFileSync(new URL('./cases/verdicts.json', import.meta.url), 'utf8')) as {
  lastComponent: { path: string; names: string[]; in: boolean }[];
  apply: VerdictCase[];
};

/** The row's verdict as handlers give it. */
export function verdictOf(c: VerdictCase): Verdict {
  const { kind, bytes, ...rest } = c.verdict;
  return { ...rest, kind: NativeKind[kind], ...(bytes === undefined ? {} : { bytes: Buffer.from(bytes) }) };
}

export function describeCase(c: VerdictCase): string {
  return `${c.verdict.kind} on ${c.mem === null ? 'an unmapped address' : JSON.stringify(c.mem)}`;
}
