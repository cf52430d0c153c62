/*
 * seccomp.img: the classic BPF filters of every thread in the dump (images/seccomp.proto,
 * criu/seccomp.c), one entry:
 *
 *   seccomp_entry  ::= 1 seccomp_filters: repeated seccomp_filter    (none: an empty entry)
 *   seccomp_filter ::= 1 filter: bytes      struct sock_filter[], 8 bytes an instruction, as installed
 *                    | 2 prev: uint32       index of the next filter in the thread's chain; absent
 *                                           for the last
 *                    | 3 flags: uint32      SECCOMP_FILTER_FLAG_* to install it with; CRIU adds
 *                                           TSYNC when all threads of a process share the chain
 *
 * Direction, from criu/seccomp.c (PTRACE_SECCOMP_GET_FILTER index 0 is the oldest filter): a
 * thread's core-TID.img (thread_core.seccomp_filter) names its OLDEST filter and each `prev`
 * names the next NEWER one, the reverse of the kernel's filter->prev despite the name. CRIU's
 * restore walks that chain and installs oldest first. Chains are not shared between processes:
 * every process of a tree under one filter has its own copy. A filter with a user-notification
 * listener comes back without it (CRIU saves only the BPF).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CoreImage, listCoreTids, SECCOMP_MODE } from './core.js';
import { decodeEntries, readImage, readingImage, serializeImage } from './image-file.js';
import { DUMP_AGAIN, ImageError } from './image-error.js';
import { bytesField, varintField, WireMessage } from './protobuf-wire.js';

const ENTRY = { filters: 1 } as const;
const FILTER = { insns: 1, prev: 2, flags: 3 } as const;
const SOCK_FILTER_SIZE = 8;

export interface ImageFilter {
  index: number;
  /** The raw struct sock_filter array. */
  insns: Buffer;
  prev?: number;
  flags: number;
}

export interface ImageTaskSeccomp {
  /** The thread id (core-TID.img); the process id for a main thread. */
  pid: number;
  filterIndex?: number;
  /** SECCOMP_MODE_*: 0 disabled, 1 strict, 2 filter. */
  mode: number;
}

/** IMG/seccomp.img */
export function seccompFile(imgDir: string): string {
  return path.join(imgDir, 'seccomp.img');
}

/** The threads of IMG in SECCOMP_MODE_STRICT (their core-TID.img says so), in core-file order. Throws ImageError. */
export function strictThreadsOf(imgDir: string): number[] {
  return listCoreTids(imgDir).filter((tid) => CoreImage.read(imgDir, tid).seccomp().mode === SECCOMP_MODE.strict);
}

/**
 * Every filter in IMG/seccomp.img and every thread's seccomp state from its core-TID.img.
 * An image without seccomp.img has no filters. Throws ImageError when an image is corrupt or
 * a thread or a prev link names a filter that is not there.
 */
export function readImageFilters(imgDir: string): { filters: ImageFilter[]; tasks: ImageTaskSeccomp[] } {
  const filters = readSeccompFilters(imgDir).map((m, index) => filterView(m, index, seccompFile(imgDir)));
  const tasks = listCoreTids(imgDir).map((tid): ImageTaskSeccomp => {
    const s = CoreImage.read(imgDir, tid).seccomp();
    return s.filter === undefined ? { pid: tid, mode: s.mode } : { pid: tid, filterIndex: s.filter, mode: s.mode };
  });
  const bad = (what: string) =>
    new ImageError('read image seccomp.img', `${seccompFile(imgDir)}: ${what}, but the image holds ${filters.length} filters`, {
      code: 'EIMAGE',
      hint: DUMP_AGAIN,
    });
  for (const f of filters) if (f.prev !== undefined && f.prev >= filters.length) throw bad(`filter ${f.index} has prev ${f.prev}`);
  for (const t of tasks) if (t.filterIndex !== undefined && t.filterIndex >= filters.length) throw bad(`thread ${t.pid} uses filter ${t.filterIndex}`);
  return { filters, tasks };
}

/** The seccomp_filter messages of IMG/seccomp.img, in index order; none when the file is absent. */
export function readSeccompFilters(imgDir: string): WireMessage[] {
  const file = seccompFile(imgDir);
  if (!fs.existsSync(file)) return [];
  const entries = decodeEntries(readImage(file, 'seccomp'), file);
  return readingImage(file, () => entries.flatMap((e) => e.messages(ENTRY.filters)));
}

function filterView(m: WireMessage, index: number, file: string): ImageFilter {
  return readingImage(file, () => {
    const insns = m.bytes(FILTER.insns) ?? Buffer.alloc(0);
    if (insns.length % SOCK_FILTER_SIZE !== 0) {
      throw new ImageError('read image seccomp.img', `${file}: filter ${index} is ${insns.length} bytes, not whole 8-byte instructions`, {
        code: 'EIMAGE',
        hint: DUMP_AGAIN,
      });
    }
    const prev = m.uint(FILTER.prev);
    return { index, insns: Buffer.from(insns), ...(prev !== undefined ? { prev } : {}), flags: m.uint(FILTER.flags) ?? 0 };
  });
}

/** A seccomp_filter with `prev` set (or removed), its other fields untouched. */
export function withPrev(m: WireMessage, prev: number | undefined): WireMessage {
  const copy = new WireMessage([...m.fields]);
  if (prev === undefined) copy.remove(FILTER.prev);
  else copy.setUint(FILTER.prev, prev);
  return copy;
}

/** The bytes of a seccomp.img holding `filters` in this order. */
export function serializeSeccomp(filters: readonly WireMessage[]): Buffer {
  const entry = new WireMessage(filters.map((f) => bytesField(ENTRY.filters, f.encode())));
  return serializeImage({ kind: 'seccomp', entries: [entry.encode()] });
}

/** A seccomp_filter message, for tests that build images. */
export function newFilter(insns: Buffer, prev?: number, flags = 0): WireMessage {
  const fields = [bytesField(FILTER.insns, insns)];
  if (prev !== undefined) fields.push(varintField(FILTER.prev, prev));
  fields.push(varintField(FILTER.flags, flags));
  return new WireMessage(fields);
}
