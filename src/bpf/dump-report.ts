/**
 * What `cr-shim bpf dump` prints: the filters of live threads or of a CRIU
 * image, each disassembled, with the tasks that hold it. Header lines start
 * with `#`, so a dump of one filter reassembles with `cr-shim bpf asm`.
 */
import { escapeControl } from '../printable.js';
import { decode } from './encode.js';
import { disasm } from './disasm.js';
import type { DisasmOptions } from './disasm.js';
import type { Sharing } from './filter-sharing.js';

/** SECCOMP_FILTER_FLAG_* from <linux/seccomp.h>. */
const FILTER_FLAGS: readonly [number, string][] = [
  [1, 'TSYNC'], [2, 'LOG'], [4, 'SPEC_ALLOW'], [8, 'NEW_LISTENER'], [16, 'TSYNC_ESRCH'], [32, 'WAIT_KILLABLE_RECV'],
];

export function flagNames(flags: number | undefined): string {
  if (flags === undefined) return 'unknown';
  const names = FILTER_FLAGS.filter(([bit]) => flags & bit).map(([, name]) => name);
  const rest = FILTER_FLAGS.reduce((f, [bit]) => f & ~bit, flags);
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join('|') : 'none';
}

const MODES = ['disabled', 'strict', 'filter'];
const modeName = (m: number): string => MODES[m] ?? `mode ${m}`;

export interface DumpSource {
  /** `pid 1234 (sleeper)` or `image /tmp/img`. */
  title: string;
  /** What a holder is: `thread` (live, by tid) or `task` (image, by pid). */
  holder: 'thread' | 'task';
  /** For live dumps, the filters' order note. */
  order: string;
}

/** Text: a summary of holders, then per filter a header line and its disassembly. */
export function dumpText(source: DumpSource, sharing: Sharing, opts: DisasmOptions = {}): string {
  const { filters, holders } = sharing;
  const out: string[] = [];
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  // The title carries a task's comm (the process chose it) or the image path given.
  out.push(`# ${escapeControl(source.title)}: ${plural(holders.length, source.holder)}, ${plural(filters.length, 'filter')}; ${source.order}`);
  for (const h of holders) {
    const chain = h.chain.length ? `filters ${h.chain.join(' ')}` : 'no filters';
    out.push(`# ${source.holder} ${h.id}: seccomp ${modeName(h.mode)}, ${chain}`);
  }
  for (const f of filters) {
    const n = f.insns.length / 8;
    const below = f.prev === undefined ? 'first in its chain' : `on top of filter ${f.prev}`;
    out.push('', `# filter ${f.id}: ${plural(n, 'insn')}, ${below}, flags ${flagNames(f.flags)}; ${source.holder}s ${f.holders.join(' ') || 'none'}`);
    out.push(disasm(decode(f.insns), opts).trimEnd());
  }
  return out.join('\n') + '\n';
}

/** JSON: holders and filters, each filter's bytes as hex. */
export function dumpJson(source: DumpSource, sharing: Sharing, extra: Record<string, unknown> = {}): unknown {
  return {
    ...extra,
    source: source.title,
    order: source.order,
    holders: sharing.holders.map((h) => ({ [source.holder === 'thread' ? 'tid' : 'pid']: h.id, mode: h.mode, filters: h.chain })),
    filters: sharing.filters.map((f) => ({
      id: f.id,
      prev: f.prev ?? null,
      insns: f.insns.length / 8,
      flags: f.flags ?? null,
      flagNames: flagNames(f.flags),
      [`${source.holder}s`]: f.holders,
      bytes: f.insns.toString('hex'),
    })),
  };
}
