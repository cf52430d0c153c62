/**
 * The damaged images of cases/seccomp-damage.json, each made from a good dump of a program
 * under cr-shim whose own filter lies under cr-shim's: thread → own filter → cr-shim's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decode } from '../../../src/bpf/encode.js';
import { CoreImage, listCoreTids } from '../../../src/criu/image/core.js';
import { readImageFilters, readSeccompFilters, seccompFile, serializeSeccomp, withPrev } from '../../../src/criu/image/seccomp.js';
import { readManifest } from '../../../src/criu/manifest.js';
import { copyImage } from './images.js';

export interface SeccompDamageRow {
  fixture: string;
  why: string;
  damaged: string;
}

export const SECCOMP_DAMAGE = (JSON.parse(fs.readFileSync(new URL('../cases/seccomp-damage.json', import.meta.url), 'utf8')) as { rows: SeccompDamageRow[] }).rows;

const BPF_JEQ_K = 0x15;
const BPF_INSN = 8;

/** The filtered thread (the image's only one) and the ends of its chain. */
function chain(dir: string): { tid: number; first: number; last: number; shim: number } {
  const { filters, tasks } = readImageFilters(dir);
  const task = tasks.find((t) => t.filterIndex !== undefined);
  if (task === undefined || filters.length !== 2) throw new Error(`${dir}: expected one filtered thread over 2 filters, got ${JSON.stringify(tasks)}`);
  let last = task.filterIndex!;
  while (filters[last]!.prev !== undefined) last = filters[last]!.prev!;
  return { tid: task.pid, first: task.filterIndex!, last, shim: readManifest(dir)!.shimFilter!.index };
}

/** Flip the bits of `mask` in byte `at` of filter `index`'s instructions, in place in seccomp.img. */
function flipInFilter(dir: string, index: number, at: number, mask: number): void {
  const file = seccompFile(dir);
  const bytes = fs.readFileSync(file);
  const insns = readImageFilters(dir).filters[index]!.insns;
  const start = bytes.indexOf(insns);
  if (start < 0) throw new Error(`filter ${index}'s instructions not found in ${file}`);
  bytes[start + at]! ^= mask;
  fs.writeFileSync(file, bytes);
}

function editCore(dir: string, tid: number, edit: (c: CoreImage) => void): void {
  const core = CoreImage.read(dir, tid);
  edit(core);
  fs.writeFileSync(core.file, core.serialize());
}

const FIXTURES: Record<string, (dir: string) => void> = {
  truncated: (dir) => {
    const bytes = fs.readFileSync(seccompFile(dir));
    fs.writeFileSync(seccompFile(dir), bytes.subarray(0, Math.floor(bytes.length / 2)));
  },
  'flip-in-shim-filter': (dir) => {
    const { shim } = chain(dir);
    // The lowest bit of the first syscall number compared (pc 0-1 load and test the arch).
    const pc = decode(readImageFilters(dir).filters[shim]!.insns).findIndex((i, n) => n > 1 && i.code === BPF_JEQ_K && i.k < 1024);
    flipInFilter(dir, shim, pc * BPF_INSN + 4, 0x01);
  },
  'flip-to-bad-opcode': (dir) => {
    const { first, shim } = chain(dir);
    const own = first === shim ? chain(dir).last : first;
    flipInFilter(dir, own, 0, 0xff);
    flipInFilter(dir, own, 1, 0xff);
  },
  'chain-loop': (dir) => {
    const { first, last } = chain(dir);
    const messages = readSeccompFilters(dir);
    fs.writeFileSync(seccompFile(dir), serializeSeccomp(messages.map((m, i) => (i === last ? withPrev(m, first) : m))));
  },
  'chain-skips-filter': (dir) => {
    const { tid, first } = chain(dir);
    const next = readImageFilters(dir).filters[first]!.prev!;
    editCore(dir, tid, (c) => c.setSeccomp({ mode: 2, filter: next }));
  },
  'filter-mode-without-filter': (dir) => {
    editCore(dir, chain(dir).tid, (c) => c.setSeccomp({ mode: 2 }));
  },
};

/** Make the fixture `name` at `dir` from the good image `good`. */
export function makeSeccompDamage(name: string, good: string, dir: string): void {
  const make = FIXTURES[name];
  if (make === undefined) throw new Error(`no fixture ${name} in test/criu/helpers/seccomp-damage.ts`);
  copyImage(good, dir);
  make(dir);
  if (listCoreTids(dir).length === 0) throw new Error(`${path.basename(dir)}: no core image`);
}
