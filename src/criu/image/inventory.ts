/*
 * inventory.img: one inventory_entry (images/inventory.proto). Field numbers used here:
 *
 *   inventory_entry ::= 1 img_version: uint32 (required)   2 = images format v1.1 (common magic heads)
 *                     | 6 lsmtype: enum                    0 none, 1 SELinux, 2 AppArmor
 *                     | 8 dump_uptime: uint64
 *                     | 13 dump_criu_run_id: string
 *                     | other fields, kept as they are
 *
 * It records nothing about the kernel the dump came from (hence cr-shim's manifest).
 */
import path from 'node:path';
import { decodeEntry, readImage, readingImage } from './image-file.js';
import { DUMP_AGAIN, ImageError } from './image-error.js';

/** criu/include/magic.h CRTOOLS_IMAGES_V1_1: every image but inventory starts with the common magic. */
export const IMAGES_V1_1 = 2;

export interface Inventory {
  imgVersion: number;
  lsmType?: number;
  criuRunId?: string;
}

/** Read IMG/inventory.img. Throws ImageError (ENOENT when absent, EIMAGE when corrupt or of an unsupported format). */
export function readInventory(imgDir: string): Inventory {
  const file = path.join(imgDir, 'inventory.img');
  const img = readImage(file, 'inventory');
  const msg = decodeEntry(img, 0, file);
  return readingImage(file, () => {
    const imgVersion = msg.uint(1);
    if (imgVersion !== IMAGES_V1_1) {
      throw new ImageError('read image inventory.img', `${file}: images format version ${String(imgVersion)}, expected ${IMAGES_V1_1} (CRIU 1.x and later)`, {
        code: 'EIMAGE',
        hint: DUMP_AGAIN,
      });
    }
    const lsmType = msg.uint(6);
    const criuRunId = msg.string(13);
    return { imgVersion, ...(lsmType !== undefined ? { lsmType } : {}), ...(criuRunId !== undefined ? { criuRunId } : {}) };
  });
}
