/**
 * What test/programs/bin/loop-mt prints (the test programs' key=value
 * convention, test/programs/kv.h), reduced to what the bench reads:
 *
 *   OUTPUT ::= "syscall=" CALL NL "threads=" INT NL "calls=" INT NL "wall_ns=" INT NL
 *              "ns_per_call=" FLOAT NL "thread_ns_per_call=" FLOAT NL
 *              "ret=" INT NL "errno=" INT NL "errname=" NAME? NL
 *
 * calls= counts one thread's calls. Other lines (a wrapper's own output, e.g.
 * runsc's) are ignored. The values the bench reads are plain ASCII, so kv.h's
 * escapes never occur in them.
 */
import { ShimError } from '../errors.js';

export interface LoopResult {
  threads: number;
  /** Calls per thread. */
  calls: number;
  /** Wall ns per call, every thread's calls counted. */
  nsPerCall: number;
  /** Wall ns one thread waited per call. */
  threadNsPerCall: number;
  /** The last call's errno name (thread 0's), '' on success. */
  errname: string;
}

/** Parse loop-mt's stdout. Throws ShimError (code EPROTO) quoting the output when a key is missing or malformed. */
export function parseLoopOutput(text: string): LoopResult {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)=(.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!);
  }
  const num = (key: string): number => {
    const v = Number(fields.get(key));
    if (!fields.has(key) || !Number.isFinite(v)) {
      throw new ShimError('parse loop-mt output', `no numeric ${key}= in ${JSON.stringify(text.slice(0, 200))}`, { code: 'EPROTO' });
    }
    return v;
  };
  const errname = fields.get('errname');
  if (errname === undefined) throw new ShimError('parse loop-mt output', `no errname= in ${JSON.stringify(text.slice(0, 200))}`, { code: 'EPROTO' });
  return { threads: num('threads'), calls: num('calls'), nsPerCall: num('ns_per_call'), threadNsPerCall: num('thread_ns_per_call'), errname };
}

/** bash TIMEFORMAT for the loop's CPU time; parseCpuTime reads it back. */
export const CPU_TIME_FORMAT = 'cpu_user_s=%3U cpu_sys_s=%3S';

/** User + sys seconds from the CPU_TIME_FORMAT line on stderr; undefined when absent. */
export function parseCpuTime(stderr: string): number | undefined {
  const m = /^cpu_user_s=(\d+\.\d+) cpu_sys_s=(\d+\.\d+)$/m.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : undefined;
}

/** bench-supervisor's one JSON line: {"calls":N,"nsPerCall":F,"unfilteredNsPerCall":F,"syncWakeup":B,"poll":B}. */
export interface CSupervisorResult {
  calls: number;
  nsPerCall: number;
  unfilteredNsPerCall: number;
  syncWakeup: boolean;
  /** Absent from builds before --poll existed. */
  poll?: boolean;
}

/** Parse bench-supervisor's stdout. Throws ShimError (code EPROTO) when it is not the expected JSON line. */
export function parseCSupervisorOutput(text: string): CSupervisorResult {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch (cause) {
    throw new ShimError('parse bench-supervisor output', `not JSON: ${JSON.stringify(text.slice(0, 200))}`, { code: 'EPROTO', cause });
  }
  const o = v as Partial<CSupervisorResult>;
  if (typeof o.calls !== 'number' || typeof o.nsPerCall !== 'number' || typeof o.unfilteredNsPerCall !== 'number' || typeof o.syncWakeup !== 'boolean') {
    throw new ShimError('parse bench-supervisor output', `missing fields in ${JSON.stringify(text.slice(0, 200))}`, { code: 'EPROTO' });
  }
  return o as CSupervisorResult;
}
