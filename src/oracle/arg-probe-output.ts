/**
 * The argument probe's output (test/oracle/arg-probe.c) and its outcome words. Pure.
 *
 *   LINE    ::= { "release": STR, "results": [RESULT...] }
 *   RESULT  ::= { "call": STR, "value": INT } + one of "ret": INT | "errno": INT [ "blocked": true ]
 *               | "signal": INT | "hung": true | "exited": INT,  [ "out": INT ]   (statx: stx_mask & value)
 */
import { ShimError } from '../errors.js';
import { outcomeOf, type Outcome, type ProbeAnswer } from '../persona/probe-result.js';

/** One case's answer: the syscall probe's answer (persona/probe-result.ts) for a call and a value. */
export interface ArgRecord extends ProbeAnswer {
  call: string;
  value: number;
  /** statx: stx_mask & value. */
  out?: number;
}

export interface ArgProbeResult {
  release: string;
  results: ArgRecord[];
}

export function parseArgProbeOutput(text: string, what: string): ArgProbeResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw new ShimError(`oracle read ${what}`, 'the argument probe printed no JSON line', { cause, code: 'EINVAL', hint: 'run test/oracle/arg-probe.c by hand to see what it printed' });
  }
  const o = v as Partial<ArgProbeResult>;
  if (typeof o.release !== 'string' || !Array.isArray(o.results) || o.results.some((r) => typeof r?.call !== 'string' || typeof r?.value !== 'number')) {
    throw new ShimError(`oracle read ${what}`, 'not an argument probe result (release, results of call and value)', { code: 'EINVAL' });
  }
  return o as ArgProbeResult;
}

/** "ok", an errno name, a signal, "hung"; statx adds whether the kernel reported the bit. */
export function argOutcome(r: ArgRecord): Outcome {
  const word = outcomeOf({ nr: 0, ...r });
  return r.out === undefined ? word : `${word}, ${r.out !== 0 ? 'reported' : 'not reported'}`;
}

/** Key of a case: the probe call and the value. */
export const caseKey = (call: string, value: number) => `${call}=${value}`;

/** Outcome per case key. */
export function argOutcomes(p: ArgProbeResult): Map<string, Outcome> {
  return new Map(p.results.map((r) => [caseKey(r.call, r.value), argOutcome(r)]));
}
