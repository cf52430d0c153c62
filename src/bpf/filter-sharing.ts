/**
 * Which tasks share which filters. A task's filters form a chain from its
 * newest filter back to the oldest (the kernel's filter->prev); threads and
 * children inherit the chain and extend it on their own, so all the chains of
 * a process tree form a tree of filters.
 *
 * ptrace shows each thread's chain as a list of programs with no identity, so
 * for live tasks two filters count as one when their programs and flags are
 * equal and so is everything before them in the chain. Two identical filters
 * installed separately at the same depth look shared: the kernel gives no way
 * to tell (the commit adding PTRACE_SECCOMP_GET_FILTER says as much).
 * CRIU images link filters explicitly (`prev`), so there identity is given.
 */
import { BpfError } from '../errors.js';

export interface SharedFilter {
  /** Position in `filters`; a filter's prev always has a lower id. */
  id: number;
  /** The filter installed before this one in every chain holding it. */
  prev: number | undefined;
  /** Raw struct sock_filter bytes. */
  insns: Buffer;
  flags: number | undefined;
  /** The tasks (thread ids or image pids) whose chain includes it, ascending. */
  holders: number[];
}

export interface Holder {
  id: number;
  /** SECCOMP_MODE_*: 0 none, 1 strict, 2 filter. */
  mode: number;
  /** Filter ids, oldest first. */
  chain: number[];
}

export interface Sharing {
  filters: SharedFilter[];
  holders: Holder[];
}

/** Group live threads' chains (each oldest first) into shared filters. */
export function shareChains(threads: readonly { tid: number; mode: number; filters: readonly { insns: Buffer; flags: number | undefined }[] }[]): Sharing {
  const filters: SharedFilter[] = [];
  const byKey = new Map<string, number>();
  const holders = threads.map((t): Holder => {
    let prev: number | undefined;
    const chain = t.filters.map((f) => {
      const key = `${prev ?? '-'}:${f.flags ?? '?'}:${f.insns.toString('hex')}`;
      let id = byKey.get(key);
      if (id === undefined) {
        id = filters.length;
        filters.push({ id, prev, insns: f.insns, flags: f.flags, holders: [] });
        byKey.set(key, id);
      }
      filters[id]!.holders.push(t.tid);
      prev = id;
      return id;
    });
    return { id: t.tid, mode: t.mode, chain };
  });
  for (const f of filters) f.holders = [...new Set(f.holders)].sort((a, b) => a - b);
  return { filters, holders };
}

/**
 * Chains of image tasks from explicit links: each task names its newest
 * filter, each filter its prev. Throws BpfError for a link to a filter that is
 * not there or a cycle of prev links.
 */
export function shareLinked(
  filters: readonly { index: number; insns: Buffer; prev?: number; flags: number }[],
  tasks: readonly { pid: number; filterIndex?: number; mode: number }[],
): Sharing {
  const out: SharedFilter[] = filters.map((f) => ({ id: f.index, prev: f.prev, insns: f.insns, flags: f.flags, holders: [] }));
  const byId = new Map(out.map((f) => [f.id, f]));
  const holders = tasks.map((t): Holder => {
    const chain: number[] = [];
    for (let i = t.filterIndex; i !== undefined; ) {
      const f = byId.get(i);
      if (!f) throw new BpfError('share filters', `task ${t.pid}: filter ${i} is not in the image`, { code: 'EINVAL' });
      if (chain.includes(i)) throw new BpfError('share filters', `task ${t.pid}: filter ${i} is its own ancestor`, { code: 'EINVAL' });
      chain.unshift(i);
      f.holders.push(t.pid);
      i = f.prev;
    }
    return { id: t.pid, mode: t.mode, chain };
  });
  for (const f of out) f.holders.sort((a, b) => a - b);
  return { filters: out, holders };
}
