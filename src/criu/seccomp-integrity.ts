/**
 * Whether an image's seccomp.img can be trusted, before anything acts on it. A damaged one
 * must never be restored or converted silently: convert recognises cr-shim's filter by its
 * sha256 (manifest.shimFilter), so a flipped bit inside it made the filter "not cr-shim's",
 * and the old filter (whose supervisor is gone) was kept and restored. seccomp.img is damaged
 * when
 *
 *   - it does not decode (cut short, a bad entry or field, a filter not whole instructions, a
 *     `prev` or a thread naming a filter that is not there; image/seccomp.ts);
 *   - a filter is not one the kernel accepts: every filter in a dump was installed, so passed
 *     seccomp_check_filter() on the dumping kernel (bpf/validate.ts does the same checks);
 *   - the chains the core images reference do not add up: a thread in SECCOMP_MODE_FILTER names
 *     no filter, a chain loops, a mode is none of disabled, strict or filter (kernel/seccomp.c),
 *     or a filter belongs to no thread's chain (criu/seccomp.c dumps only the filters of the
 *     threads it dumps);
 *   - the manifest names filter N as cr-shim's, and filter N is not the one it hashed at dump.
 */
import path from 'node:path';
import { decode } from '../bpf/encode.js';
import { validate } from '../bpf/validate.js';
import { ShimError } from '../errors.js';
import { DUMP_AGAIN, ImageError } from './image/image-error.js';
import { readImageFilters, seccompFile } from './image/seccomp.js';
import type { Manifest } from './manifest.js';
import { filterSha256 } from './supervised-record.js';

/** SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER (include/uapi/linux/seccomp.h). */
const MODES = new Set([0, 1, 2]);
const MODE_FILTER = 2;

/** Why IMG/seccomp.img is damaged, as "IMG/seccomp.img is damaged: ..."; undefined when it is intact or absent. */
export function seccompDamage(imgDir: string, manifest: Manifest | undefined): string | undefined {
  const file = seccompFile(imgDir);
  const damaged = (why: string) => `${file} is damaged: ${why}`;
  let image;
  try {
    image = readImageFilters(imgDir);
  } catch (err) {
    if (!(err instanceof ShimError)) throw err;
    // The reader's message names the file already; keep only what it found.
    return damaged(`it does not decode (${err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message})`);
  }
  const { filters, tasks } = image;
  for (const f of filters) {
    try {
      validate(decode(f.insns));
    } catch (err) {
      if (!(err instanceof ShimError)) throw err;
      return damaged(`filter ${f.index} is not one the kernel accepts (${err.message}), yet every dumped filter was installed`);
    }
  }
  const used = new Set<number>();
  for (const t of tasks) {
    if (!MODES.has(t.mode)) return damaged(`${path.join(imgDir, `core-${t.pid}.img`)} gives thread ${t.pid} seccomp mode ${t.mode}`);
    if (t.mode !== MODE_FILTER) continue;
    if (t.filterIndex === undefined) return damaged(`thread ${t.pid} is in filter mode and ${path.join(imgDir, `core-${t.pid}.img`)} names no filter`);
    const seen = new Set<number>();
    for (let i: number | undefined = t.filterIndex; i !== undefined; i = filters[i]!.prev) {
      if (seen.has(i)) return damaged(`the chain of thread ${t.pid} loops at filter ${i}`);
      seen.add(i);
      used.add(i);
    }
  }
  const orphan = filters.find((f) => !used.has(f.index));
  if (orphan !== undefined) return damaged(`filter ${orphan.index} is in no thread's chain`);
  const shim = manifest?.shimFilter;
  if (shim !== undefined) {
    const at = filters[shim.index];
    if (at === undefined) return damaged(`cr-shim.json names filter ${shim.index} as cr-shim's, and the image holds ${filters.length} filters`);
    if (filterSha256(at.insns) !== shim.sha256) {
      return damaged(`filter ${shim.index} is not the filter cr-shim.json recorded as cr-shim's at dump (sha256 ${shim.sha256.slice(0, 12)}, now ${filterSha256(at.insns).slice(0, 12)})`);
    }
  }
  return undefined;
}

/** Throw ImageError (EIMAGE) naming the damage; nothing when seccomp.img is intact or absent. */
export function assertSeccompIntact(imgDir: string, manifest: Manifest | undefined): void {
  const why = seccompDamage(imgDir, manifest);
  if (why !== undefined) throw new ImageError('read image seccomp.img', why, { code: 'EIMAGE', hint: DUMP_AGAIN });
}
