/*
 * pagemap-PID.img (images/pagemap.proto) and the raw pages-ID.img it indexes:
 *
 *   PAGEMAP ::= HEAD ENTRY(pagemap_head) { ENTRY(pagemap_entry) }
 *   pagemap_head  ::= pages_id:1                 the ID of pages-ID.img
 *   pagemap_entry ::= vaddr:1 nr_pages:2 [in_parent:3] [flags:4] [nr_pages:5]
 *   PAGES   ::= { PAGE }                         the present pages, in pagemap order, no framing
 *
 * CRIU 4.x writes the count in field 5 (a uint64) and 0 in field 2; older CRIU only field 2.
 * flags: PE_PARENT 1 (the page is in the parent image), PE_LAZY 2 (may be served by the lazy-pages
 * daemon instead of the file), PE_PRESENT 4 (in this pages file); images without flags say
 * in_parent or present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeEntries, readImage, readingImage } from './image-file.js';

export const PE_PARENT = 1;
export const PE_LAZY = 2;
export const PE_PRESENT = 4;

export interface PagemapSummary {
  file: string;
  pagesId: number;
  /** Pages the pages file holds whatever the dump mode. */
  present: bigint;
  /** Present pages marked lazy: absent from the file of a --lazy-pages dump. */
  lazy: bigint;
}

/** pagemap-PID.img of `imgDir`, or undefined when there is none. Throws ImageError when it cannot be decoded. */
export function readPagemap(imgDir: string, pid: number): PagemapSummary | undefined {
  const file = path.join(imgDir, `pagemap-${pid}.img`);
  if (!fs.existsSync(file)) return undefined;
  const [head, ...entries] = decodeEntries(readImage(file, 'pagemap'), file);
  return readingImage(file, () => {
    const summary: PagemapSummary = { file, pagesId: head?.uint(1) ?? 0, present: 0n, lazy: 0n };
    for (const e of entries) {
      const flags = e.uint(4) ?? (e.uint(3) ? PE_PARENT : PE_PRESENT);
      if ((flags & PE_PRESENT) === 0) continue;
      const n = e.uint64(5) ?? BigInt(e.uint(2) ?? 0);
      summary.present += n;
      if ((flags & PE_LAZY) !== 0) summary.lazy += n;
    }
    return summary;
  });
}
