/**
 * What test/programs/loop-mt prints (key=value, test/programs/kv.h), reduced
 * to what the benchmark reads:
 *
 *   OUTPUT ::= "syscall=" CALL NL "threads=" INT NL "calls=" INT NL "wall_ns=" INT NL
 *              "ns_per_call=" FLOAT NL "thread_ns_per_call=" FLOAT NL
 *              "ret=" INT NL "errno=" INT NL "errname=" NAME? NL
 *
 * Other lines (a wrapper's own output) are ignored.
 */
import { ShimError } from '../../errors.js';

export interface LoopMtResult {
  threads: number;
  calls: number;
  nsPerCall: number;
  threadNsPerCall: number;
  errname: string;
}

/** Parse loop-mt's stdout. Throws ShimError (code EPROTO) quoting the output when a key is missing. */
export function parseLoopMt(text: string): LoopMtResult {
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
