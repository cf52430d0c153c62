/*
 * pstree.img: one pstree_entry per process, parents before children (images/pstree.proto):
 *
 *   pstree_entry ::= 1 pid: uint32   2 ppid: uint32   3 pgid: uint32   4 sid: uint32
 *                  | 5 threads: repeated uint32       every thread id, the main thread's too
 *
 * Ids are as the tasks saw them in their pid namespace; CRIU restores them unchanged.
 */
import path from 'node:path';
import { decodeEntries, readImage, readingImage } from './image-file.js';

export interface PstreeEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  threads: number[];
}

/** Read IMG/pstree.img. Throws ImageError when it is absent or corrupt. */
export function readPstree(imgDir: string): PstreeEntry[] {
  const file = path.join(imgDir, 'pstree.img');
  const msgs = decodeEntries(readImage(file, 'pstree'), file);
  return readingImage(file, () =>
    msgs.map((m) => ({ pid: m.uint(1) ?? 0, ppid: m.uint(2) ?? 0, pgid: m.uint(3) ?? 0, sid: m.uint(4) ?? 0, threads: m.repeatedUint(5) })),
  );
}
