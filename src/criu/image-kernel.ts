/**
 * The kernel an image was dumped on, read from the image itself: every CRIU image holds the
 * dumped tasks' [vdso] pages, and the vDSO's "Linux" note carries LINUX_VERSION_CODE
 * (image/vdso-note.ts). It gives MAJOR.MINOR.SUBLEVEL only (sublevel capped at 255), never the
 * distribution's release suffix ("-32-amd64"), which only a cr-shim.json records.
 */
import { ShimError } from '../errors.js';
import { readVmas, VMA_AREA } from './image/mm.js';
import { readMemory } from './image/image-memory.js';
import { vdsoVersionCode, type VersionCode } from './image/vdso-note.js';
import type { PstreeEntry } from './image/pstree.js';

export interface ImageKernel extends VersionCode {
  /** The process whose vDSO was read. */
  pid: number;
}

/** A vDSO is one to a few pages; more is not a vDSO. */
const MAX_VDSO_BYTES = 64n * 4096n;

/**
 * The kernel version in the vDSO of the first process of `pstree` that has one, or a reason
 * why there is none (no vdso mapping, its pages not in the image, no note). Never throws for
 * what an image may lack; a corrupt image is a reason too.
 */
export function imageKernel(imgDir: string, pstree: readonly PstreeEntry[]): ImageKernel | { reason: string } {
  const reasons: string[] = [];
  for (const task of pstree) {
    if (task.threads.length === 0) continue; // a zombie has no address space
    try {
      const vdso = readVmas(imgDir, task.pid).find((v) => (v.status & VMA_AREA.vdso) !== 0);
      if (vdso === undefined) {
        reasons.push(`process ${task.pid} has no [vdso] mapping`);
        continue;
      }
      const end = vdso.end - vdso.start > MAX_VDSO_BYTES ? vdso.start + MAX_VDSO_BYTES : vdso.end;
      const version = vdsoVersionCode(readMemory(imgDir, task.pid, vdso.start, end));
      if (version !== undefined) return { ...version, pid: task.pid };
      reasons.push(`the vDSO of process ${task.pid} has no "Linux" version note`);
    } catch (err) {
      if (!(err instanceof ShimError)) throw err;
      reasons.push(`process ${task.pid}: ${err.message}`);
    }
  }
  return { reason: reasons.length > 0 ? reasons.join('; ') : 'no live process in the image' };
}
