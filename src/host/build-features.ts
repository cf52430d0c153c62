/**
 * Features of the running kernel's build that behaviour rows answer for when it lacks them
 * (handlers/behaviours.ts, `hostLacks`). Each is probed by what the kernel does, not read from
 * its config: a feature can be built and still be off (an LSM left out of lsm=).
 */
import fs from 'node:fs';
import path from 'node:path';
import { nativeSys } from '../native/libc.js';

/** MADV_HWPOISON in <asm-generic/mman-common.h>. */
const MADV_HWPOISON = 100;

export interface BuildFeature {
  id: string;
  /** What it is and how it is probed, for reports. */
  what: string;
  /** True when the running kernel has it. */
  present(procDir: string): boolean;
}

export const BUILD_FEATURES: readonly BuildFeature[] = [
  {
    id: 'yama',
    what: 'the Yama LSM (PR_SET_PTRACER): yama_init() registers /proc/sys/kernel/yama only when the LSM is enabled',
    present: (procDir) => fs.existsSync(path.join(procDir, 'sys', 'kernel', 'yama')),
  },
  {
    id: 'memory-failure',
    what: 'CONFIG_MEMORY_FAILURE (MADV_HWPOISON, MADV_SOFT_OFFLINE): madvise(0, 0, MADV_HWPOISON) answers 0 with it (an empty range, checked before any injection) and EINVAL without',
    present: () => nativeSys.madviseEmpty(MADV_HWPOISON) === 0,
  },
];

/** Ids of the features this kernel lacks, sorted. */
export function lackedFeatures(procDir: string): string[] {
  return BUILD_FEATURES.filter((f) => !f.present(procDir)).map((f) => f.id).sort();
}
