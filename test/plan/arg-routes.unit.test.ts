/** Numbers whose argument rules name several handlers: the supervisor picks one per call, as the filter matched. */
import { describe, expect, it } from 'vitest';
import { argRoutesOf, handlerOf, ruleMatches } from '../../src/plan/arg-rules.js';
import type { ArgRule, PlanEntry } from '../../src/plan/types.js';

const strict: ArgRule = { arg: 0, match: { kind: 'in', values: [22] }, when: { arg: 1, equals: 1 }, action: { kind: 'notify', handler: 'strict-mode' }, reason: 'strict' };
const ptracer: ArgRule = { arg: 0, match: { kind: 'in', values: [0x59616d61] }, action: { kind: 'notify', handler: 'yama-ptracer' }, reason: 'yama' };
const unknown: ArgRule = { arg: 0, match: { kind: 'in', values: [78] }, action: { kind: 'errno', errno: 22 }, reason: 'new' };
const entry = (rules: ArgRule[]): PlanEntry => ({ nr: 157, name: 'prctl', action: { kind: 'allow' }, reason: '', basis: 'same', argRules: rules });

const matches: { rule: ArgRule; args: bigint[]; expect: boolean }[] = [
  { rule: strict, args: [22n, 1n], expect: true },
  { rule: strict, args: [22n, 2n], expect: false },
  { rule: strict, args: [0x100000016n, 0x100000001n], expect: true },
  { rule: ptracer, args: [0x59616d61n, 0n], expect: true },
  { rule: ptracer, args: [0x59616d62n], expect: false },
  { rule: { ...ptracer, match: { kind: 'anyBit', mask: 0x10 } }, args: [0x30n], expect: true },
];

describe('ruleMatches', () => {
  it.each(matches)('$rule.reason on $args: $expect', ({ rule, args, expect: want }) => expect(ruleMatches(rule, args)).toBe(want));
});

describe('argRoutesOf', () => {
  it('lists the notify rules, in order, when they name two handlers', () => {
    expect(argRoutesOf(entry([unknown, strict, ptracer]))?.map((r) => r.handler)).toEqual(['strict-mode', 'yama-ptracer']);
    expect(handlerOf(entry([unknown, strict, ptracer]))).toBe('strict-mode');
  });
  it('is undefined when one handler takes every trapped call', () => {
    expect(argRoutesOf(entry([unknown, strict]))).toBeUndefined();
    expect(argRoutesOf(entry([]))).toBeUndefined();
  });
});
