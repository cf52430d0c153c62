/**
 * The magic numbers of the CRIU images cr-shim reads (criu/include/magic.h, unchanged since
 * CRIU 1.x for these). Each 32-bit value is written little-endian at the head of its file.
 */

/** Head of every protobuf image but inventory.img (images format v1.1). */
export const IMG_COMMON_MAGIC = 0x54564319;
/** Head of service files: stats-dump, stats-restore, irmap-cache. */
export const IMG_SERVICE_MAGIC = 0x55105940;

/** The second magic, naming the image type. inventory.img has only this one. */
export const MAGIC = {
  inventory: 0x58313116,
  pstree: 0x50273030,
  core: 0x55053847,
  ids: 0x54432030,
  fdinfo: 0x56213732,
  files: 0x56303138,
  /** Before files.img (CRIU < 3.x) regular files had their own image. */
  regFiles: 0x50363636,
  remapFilePath: 0x59133954,
  seccomp: 0x64413049,
  mm: 0x57492820,
  pagemap: 0x56084025,
  /** Before creds moved into thread_core, one creds-PID.img per task. */
  creds: 0x54023547,
  stats: 0x57093306,
  fs: 0x51403912,
  timens: 0x43114433,
} as const;

export type ImageKind = keyof typeof MAGIC;
