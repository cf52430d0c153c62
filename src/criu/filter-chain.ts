/**
 * Removing filters from the seccomp chains of a CRIU image (image/seccomp.ts has the layout).
 * Pure: indices in, indices out, so every case is a row of data in the tests.
 *
 * A thread names the first filter of its chain and each filter the next (`prev`; CRIU's chains
 * run oldest to newest, but nothing here depends on the direction). Dropping a filter splices
 * it out of every chain through it: whatever pointed at it points at its successor instead, or
 * at nothing. A thread left with no filter at all returns to SECCOMP_MODE_DISABLED,
 * as CRIU writes a thread that never had one. Survivors keep their order and are renumbered.
 */

export interface ChainFilter {
  prev?: number;
}

export interface ChainThread {
  mode: number;
  filter?: number;
}

export interface ChainEdit {
  /** Old indices of the filters that stay, in their new order (new index = position here). */
  kept: number[];
  /** New `prev` of each kept filter, by new index. */
  prev: (number | undefined)[];
  /** Each thread's new state, in input order. */
  threads: ChainThread[];
}

const MODE_DISABLED = 0;
const MODE_FILTER = 2;

/** Drop the filters in `drop`. Throws RangeError when a prev link loops or points outside `filters`. */
export function dropFilters(filters: readonly ChainFilter[], threads: readonly ChainThread[], drop: ReadonlySet<number>): ChainEdit {
  const survivor = (start: number | undefined): number | undefined => {
    let i = start;
    for (let steps = 0; i !== undefined && drop.has(i); steps++) {
      if (steps > filters.length) throw new RangeError(`seccomp filter chain through ${String(start)} loops`);
      const f = filters[i];
      if (f === undefined) throw new RangeError(`seccomp filter ${i} does not exist`);
      i = f.prev;
    }
    if (i !== undefined && filters[i] === undefined) throw new RangeError(`seccomp filter ${i} does not exist`);
    return i;
  };
  const kept = filters.map((_, i) => i).filter((i) => !drop.has(i));
  const newIndex = new Map(kept.map((old, i) => [old, i] as const));
  const renumber = (old: number | undefined) => (old === undefined ? undefined : newIndex.get(old));
  return {
    kept,
    prev: kept.map((old) => renumber(survivor(filters[old]!.prev))),
    threads: threads.map((t) => {
      if (t.mode !== MODE_FILTER) return { ...t };
      const s = renumber(survivor(t.filter));
      return s === undefined ? { mode: MODE_DISABLED } : { mode: MODE_FILTER, filter: s };
    }),
  };
}
