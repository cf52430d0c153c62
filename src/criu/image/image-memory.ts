/*
 * Memory contents of a dumped process (images/pagemap.proto; criu/page-xfer.c writes them):
 *
 *   pagemap-PID.img ::= pagemap_head { pagemap_entry }
 *   pagemap_head    ::= 1 pages_id: uint32          the pages image: pages-<pages_id>.img
 *   pagemap_entry   ::= 1 vaddr: uint64   2 nr_pages: uint32
 *                     | 3 in_parent: bool           before flags; true = PE_PARENT
 *                     | 4 flags: uint32             PE_PARENT 1, PE_LAZY 2 (may be restored lazily:
 *                                                   still in the image), PE_PRESENT 4
 *                     | 5 pages: uint64             replaces nr_pages (4.2.1 writes nr_pages 0)
 *   pages-N.img     ::= { PAGE }                    raw, no header: the pages of every entry that
 *                                                   is present and not in the parent image, in
 *                                                   pagemap order
 *
 * A page in the parent image is read from IMG/parent (the symlink pre-dumps leave).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DUMP_AGAIN, ImageError } from './image-error.js';
import { decodeEntries, readImage, readingImage } from './image-file.js';

const PE = { parent: 1, present: 4 } as const;
const PAGE = 4096n;
/** Pre-dump chains are short; a longer one is a loop of parent links. */
const MAX_PARENTS = 64;

interface PagemapEntry {
  vaddr: bigint;
  pages: bigint;
  flags: number;
}

function readPagemap(imgDir: string, pid: number): { pagesId: number; entries: PagemapEntry[] } {
  const file = path.join(imgDir, `pagemap-${pid}.img`);
  const [head, ...rest] = decodeEntries(readImage(file, 'pagemap'), file);
  return readingImage(file, () => ({
    pagesId: head?.uint(1) ?? 0,
    entries: rest.map((e) => {
      const flags = e.uint(4) ?? (e.uint(3) ? PE.parent : PE.present);
      return { vaddr: e.uint64(1) ?? 0n, pages: e.uint64(5) ?? BigInt(e.uint(2) ?? 0), flags };
    }),
  }));
}

/**
 * The bytes of [start, end) of process `pid`'s memory as the image holds them. Throws
 * ImageError (ENOENT when a page is in no image, EIMAGE when an image is corrupt or short).
 */
export function readMemory(imgDir: string, pid: number, start: bigint, end: bigint, depth = 0): Buffer {
  const op = 'read image memory';
  const { pagesId, entries } = readPagemap(imgDir, pid);
  const out = Buffer.alloc(Number(end - start));
  const pagesFile = path.join(imgDir, `pages-${pagesId}.img`);
  let fd: number | undefined;
  try {
    for (let at = start; at < end; ) {
      let fileOffset = 0n;
      let hit: PagemapEntry | undefined;
      let offset = 0n;
      for (const e of entries) {
        const inFile = (e.flags & PE.present) !== 0 && (e.flags & PE.parent) === 0;
        if (at >= e.vaddr && at < e.vaddr + e.pages * PAGE) {
          hit = e;
          fileOffset = offset + (at - e.vaddr);
          break;
        }
        if (inFile) offset += e.pages * PAGE;
      }
      if (hit === undefined) {
        throw new ImageError(op, `${imgDir}: address 0x${at.toString(16)} of process ${pid} is in no pagemap entry`, { code: 'ENOENT', hint: DUMP_AGAIN });
      }
      const chunkEnd = end < hit.vaddr + hit.pages * PAGE ? end : hit.vaddr + hit.pages * PAGE;
      const length = Number(chunkEnd - at);
      const into = Number(at - start);
      if ((hit.flags & PE.parent) !== 0) {
        if (depth >= MAX_PARENTS) throw new ImageError(op, `${imgDir}: more than ${MAX_PARENTS} parent images`, { code: 'EIMAGE', hint: DUMP_AGAIN });
        readMemory(path.join(imgDir, 'parent'), pid, at, chunkEnd, depth + 1).copy(out, into);
      } else if ((hit.flags & PE.present) === 0) {
        throw new ImageError(op, `${imgDir}: address 0x${at.toString(16)} of process ${pid} has no pages in the image`, { code: 'ENOENT', hint: DUMP_AGAIN });
      } else {
        fd ??= openPages(pagesFile);
        const got = fs.readSync(fd, out, into, length, Number(fileOffset));
        if (got !== length) {
          throw new ImageError(op, `${pagesFile}: ${got} of ${length} bytes at offset ${fileOffset}: the pages image is short`, { code: 'EIMAGE', hint: DUMP_AGAIN });
        }
      }
      at = chunkEnd;
    }
    return out;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function openPages(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (cause) {
    throw new ImageError('read image memory', `${file}: cannot open: ${(cause as Error).message}`, { cause, code: 'EIMAGE', hint: DUMP_AGAIN });
  }
}
