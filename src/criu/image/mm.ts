/*
 * mm-PID.img: one mm_entry per process that owns an address space (images/mm.proto, vma.proto).
 * Fields read here:
 *
 *   mm_entry  ::= 14 vmas: repeated vma_entry
 *   vma_entry ::= 1 start: uint64   2 end: uint64   7 status: uint32 (VMA_AREA_* bits, below)
 *
 * VMA_AREA_VDSO (1 << 3) marks the [vdso] mapping and VMA_AREA_VVAR (1 << 12) its data pages
 * (criu/include/image.h; the bits are part of the image ABI).
 */
import path from 'node:path';
import { decodeEntry, readImage, readingImage } from './image-file.js';

export const VMA_AREA = { vdso: 1 << 3, vvar: 1 << 12 } as const;

export interface Vma {
  start: bigint;
  end: bigint;
  status: number;
}

/** The mappings of process `pid` in IMG/mm-PID.img. Throws ImageError when it is absent (ENOENT) or corrupt. */
export function readVmas(imgDir: string, pid: number): Vma[] {
  const file = path.join(imgDir, `mm-${pid}.img`);
  const mm = decodeEntry(readImage(file, 'mm'), 0, file);
  return readingImage(file, () => mm.messages(14).map((v) => ({ start: v.uint64(1) ?? 0n, end: v.uint64(2) ?? 0n, status: v.uint(7) ?? 0 })));
}
