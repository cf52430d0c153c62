/**
 * What `cr-shim restore` checks before CRIU runs, whether the tree is supervised in the CLI
 * (restore.ts) or by `cr-shim serve` for a thin client (src/serve/image-restore.ts): the same
 * refusals, lines and statuses as check and convert (no image, damaged, other arch, seccomp
 * images that do not add up), the kernel to present, and never a restore into ENOSYS (a
 * USER_NOTIF filter whose listener stayed behind). Then the criu at hand must read the image.
 */
import os from 'node:os';
import { assertCanRead, type CriuBinary } from '../criu/binary.js';
import { openImageDir } from '../criu/image-dir.js';
import { imageKernel } from '../criu/image-kernel.js';
import { readPstree } from '../criu/image/pstree.js';
import type { Manifest } from '../criu/manifest.js';
import { assertSeccompIntact } from '../criu/seccomp-integrity.js';
import { chooseKernel, type KernelChoice } from '../criu/source-kernel.js';
import { assertNoStaleNotify } from '../criu/stale-listeners.js';
import { renderLeftBehind } from '../criu/unmovable/report.js';
import { timed } from '../phase-trace.js';

export interface CheckedImage {
  manifest: Manifest | undefined;
  choice: KernelChoice;
}

/**
 * Check IMG and choose its kernel; notices (what the dump left behind, a guessed kernel) go to
 * `notice`. Throws ShimError (the image's own refusal) before anything is restored.
 */
export function checkImage(imgDir: string, kernel: string | undefined, notice: (line: string) => void): CheckedImage {
  const manifest = timed('image: open (inventory, manifest, pstree, cores)', () => openImageDir(imgDir).manifest);
  timed('image: seccomp integrity', () => assertSeccompIntact(imgDir, manifest));
  // What the dump ended because it could not move: the tree comes back without it.
  if (manifest?.leftBehind) for (const line of renderLeftBehind(manifest.leftBehind)) notice(line);
  const choice = timed('image: kernel choice', () => chooseKernel(kernel, manifest, os.release(), imgDir, () => imageKernel(imgDir, readPstree(imgDir))));
  timed('image: stale listeners', () => assertNoStaleNotify(imgDir, manifest?.shimFilter?.sha256));
  if (choice.notice) notice(choice.notice);
  return { manifest, choice };
}

/** Throws ShimError (code 'ECRIU') when `criu` cannot read the image the manifest describes. */
export function assertCriuReads(criu: CriuBinary, manifest: Manifest | undefined, imgDir: string): void {
  if (manifest !== undefined) assertCanRead(criu, manifest.criu.version, imgDir);
}
