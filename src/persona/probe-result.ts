/**
 * The oracle probe's output (test/oracle/probe.c) and its reduction to comparable outcomes.
 *
 *   LINE    ::= { "sysname", "release", "version", "machine", "procVersion": STR, "results": [RESULT...] }
 *   RESULT  ::= { "nr": INT } + one of  "ret": INT | "errno": INT [ "blocked": true ] | "signal": INT
 *                                     | "hung": true | "exited": INT | "skipped": "unsafe"
 *               [ "recheck": ANSWER ]   after ENOSYS: the same number with every argument -1
 *   ANSWER  ::= RESULT without "nr", "skipped" and "recheck"
 */
import os from 'node:os';
import { ShimError } from '../errors.js';

export interface ProbeRecord {
  nr: number;
  ret?: number;
  errno?: number;
  blocked?: boolean;
  signal?: number;
  hung?: boolean;
  exited?: number;
  skipped?: string;
  /** After an ENOSYS: the answer to the same number with every argument -1 (probes before it have none). */
  recheck?: ProbeAnswer;
}

/** One call's answer without its number. */
export type ProbeAnswer = Omit<ProbeRecord, 'nr' | 'skipped' | 'recheck'>;

export interface ProbeResult {
  sysname: string;
  release: string;
  version: string;
  machine: string;
  procVersion: string;
  results: ProbeRecord[];
}

/**
 * One number's outcome as a comparable word: "ok" (any return value: pids and addresses
 * differ run to run), an errno name ("ENOSYS"), "EINTR(blocked)", "SIG<NAME>", "hung",
 * "exited", "skipped".
 */
export type Outcome = string;

const SIGNALS = os.constants.signals as Record<string, number>;
const ERRNOS = os.constants.errno as Record<string, number>;
/** Where two errno names share a number, the kernel's own spelling. */
const PREFERRED_ERRNO: Record<number, string> = { 95: 'EOPNOTSUPP', 11: 'EAGAIN', 35: 'EDEADLK' };

export function errnoName(n: number): string {
  if (PREFERRED_ERRNO[n]) return PREFERRED_ERRNO[n]!;
  return Object.entries(ERRNOS).find(([, v]) => v === n)?.[0] ?? `E${n}`;
}

function signalName(n: number): string {
  return Object.entries(SIGNALS).find(([k, v]) => v === n && k !== 'SIGIOT' && k !== 'SIGPOLL')?.[0] ?? `SIG${n}`;
}

export function outcomeOf(r: ProbeRecord): Outcome {
  if (r.skipped !== undefined) return 'skipped';
  if (r.errno !== undefined) return r.blocked ? `${errnoName(r.errno)}(blocked)` : errnoName(r.errno);
  if (r.ret !== undefined) return 'ok';
  if (r.signal !== undefined) return signalName(r.signal);
  if (r.hung) return 'hung';
  return 'exited';
}

/** Outcome per number. */
export function outcomes(p: ProbeResult): Map<number, Outcome> {
  return new Map(p.results.map((r) => [r.nr, outcomeOf(r)]));
}

/** The recheck's outcome per number, for the numbers that have one. */
export function recheckOutcomes(p: ProbeResult): Map<number, Outcome> {
  return new Map(p.results.filter((r) => r.recheck !== undefined).map((r) => [r.nr, outcomeOf({ nr: r.nr, ...r.recheck })]));
}

/**
 * Is the number missing from the probed kernel? ENOSYS to all-zero arguments is not enough: an
 * existing call can answer ENOSYS from inside (quotactl_fd when fd 0's filesystem has no quota
 * operations). Missing means ENOSYS to both probes; a recheck that fails otherwise (EBADF for fd
 * -1) means the call is there. Without a recheck (a probe from before it), the one ENOSYS stands.
 */
export function judgedAbsent(first: Outcome, recheck: Outcome | undefined): boolean {
  return first === 'ENOSYS' && (recheck === undefined || recheck === 'ENOSYS');
}

/** Parse the probe's stdout. Throws ShimError naming `source` when it is not a probe line. */
export function parseProbeOutput(text: string, source: string): ProbeResult {
  let data: unknown;
  try {
    data = JSON.parse(text.trim());
  } catch (cause) {
    throw new ShimError('oracle probe output', `${source} is not the probe's JSON line`, { cause, code: 'EINVAL', hint: 'run test/oracle/probe --max N and keep its stdout' });
  }
  const d = data as Partial<ProbeResult>;
  const ok =
    typeof d === 'object' && d !== null &&
    ['sysname', 'release', 'version', 'machine', 'procVersion'].every((k) => typeof (d as Record<string, unknown>)[k] === 'string') &&
    Array.isArray(d.results) && d.results.every((r) => typeof r === 'object' && r !== null && Number.isInteger((r as ProbeRecord).nr));
  if (!ok) throw new ShimError('oracle probe output', `${source} lacks the probe's fields (release, version, results, ...)`, { code: 'EINVAL', hint: 'run test/oracle/probe --max N and keep its stdout' });
  return d as ProbeResult;
}

/** The inverse of outcomeOf, for outcomes stored in a persona file (return values are not kept: "ok" reads back as 0). */
export function recordOf(nr: number, o: Outcome): ProbeRecord {
  if (o === 'ok') return { nr, ret: 0 };
  if (o === 'skipped') return { nr, skipped: 'unsafe' };
  if (o === 'hung') return { nr, hung: true };
  if (o === 'exited') return { nr, exited: 0 };
  const blocked = o.endsWith('(blocked)');
  const word = blocked ? o.slice(0, -'(blocked)'.length) : o;
  if (word.startsWith('SIG') && SIGNALS[word] !== undefined) return { nr, signal: SIGNALS[word] };
  const errno = ERRNOS[word] ?? (/^E(\d+)$/.exec(word) ? Number(word.slice(1)) : undefined);
  if (errno === undefined) throw new ShimError('oracle outcome', `unknown outcome ${o} for nr ${nr}`, { code: 'EINVAL' });
  return blocked ? { nr, errno, blocked: true } : { nr, errno };
}
