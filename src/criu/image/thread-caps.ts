/**
 * The capability sets of every thread in a dump: thread_core.creds in each core-TID.img, or for
 * images from before CRIU moved creds there, creds-PID.img (one per process, shared by its threads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CoreImage, listCoreTids } from './core.js';
import { readCaps, type CapSets } from './creds.js';
import { decodeEntry, readImage, readingImage } from './image-file.js';

export interface ThreadCaps {
  tid: number;
  caps: CapSets;
}

/** Throws ImageError when an image is corrupt. Threads without creds in the image are left out. */
export function readThreadCaps(imgDir: string): ThreadCaps[] {
  const out: ThreadCaps[] = [];
  for (const tid of listCoreTids(imgDir)) {
    const core = CoreImage.read(imgDir, tid);
    const creds = core.creds();
    if (creds !== undefined) {
      out.push({ tid, caps: readingImage(core.file, () => readCaps(creds)) });
      continue;
    }
    const file = path.join(imgDir, `creds-${tid}.img`);
    if (fs.existsSync(file)) {
      const old = decodeEntry(readImage(file, 'creds'), 0, file);
      out.push({ tid, caps: readingImage(file, () => readCaps(old)) });
    }
  }
  return out;
}
