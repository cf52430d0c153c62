/**
 * What `cr-shim check` can verify of an image before any restore, beyond what openImageDir
 * refuses outright: the memory images add up (each process's pagemap counts the pages its
 * pages-ID.img must hold), the per-task images decode (core, mm, fs, ids, timens) and
 * seccomp.img is intact (seccomp-integrity.ts). A restore
 * of an image that fails here can leave a task spinning in CRIU's restorer (a pages file cut
 * short) or restore garbage: check calls it "cannot be restored".
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { CoreImage } from './image/core.js';
import { decodeEntries, readImage } from './image/image-file.js';
import type { ImageKind } from './image/magic.js';
import { readPagemap } from './image/pagemap.js';
import type { ImageDir } from './image-dir.js';
import { seccompDamage } from './seccomp-integrity.js';

/** x86_64's page size: the unit of pagemap counts. */
const PAGE_SIZE = 4096n;

/** One line per problem found; empty when everything adds up. */
export function imageProblems(image: ImageDir): string[] {
  const dir = image.dir;
  const out: string[] = [];
  const attempt = (read: () => void): void => {
    try {
      read();
    } catch (err) {
      if (!(err instanceof ShimError)) throw err;
      out.push(err.message);
    }
  };
  const decodes = (name: string, kind: ImageKind): void => {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) attempt(() => decodeEntries(readImage(file, kind), file));
  };

  for (const tid of image.tids) {
    attempt(() => {
      const core = CoreImage.read(dir, tid);
      core.comm();
      core.creds();
      core.seccomp();
      core.pdeathSignal();
    });
  }
  decodes('timens-0.img', 'timens');
  attempt(() => {
    const seccomp = seccompDamage(dir, image.manifest);
    if (seccomp !== undefined) out.push(seccomp);
  });
  for (const task of image.pstree) {
    if (image.zombies.includes(task.pid)) continue;
    for (const [prefix, kind] of [['mm', 'mm'], ['fs', 'fs'], ['ids', 'ids']] as const) decodes(`${prefix}-${task.pid}.img`, kind);
    attempt(() => {
      const map = readPagemap(dir, task.pid);
      if (map === undefined) {
        out.push(`${path.join(dir, `pagemap-${task.pid}.img`)} is missing: process ${task.pid}'s memory is not in the image`);
        return;
      }
      const pages = path.join(dir, `pages-${map.pagesId}.img`);
      let size: bigint;
      try {
        size = BigInt(fs.statSync(pages).size);
      } catch {
        if (map.present > 0n) out.push(`${pages} is missing: ${map.file} counts ${map.present} pages in it`);
        return;
      }
      const low = (map.present - map.lazy) * PAGE_SIZE;
      const high = map.present * PAGE_SIZE;
      if (size % PAGE_SIZE !== 0n || size < low || size > high) {
        const want = low === high ? `${high} bytes` : `${low} to ${high} bytes`;
        out.push(`${pages} holds ${size} bytes; ${path.basename(map.file)} counts ${map.present} pages (${want}): cut short or overwritten`);
      }
    });
  }
  return out;
}
