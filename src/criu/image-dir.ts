/**
 * Opening a CRIU image directory for cr-shim: it exists, holds a readable inventory, a process
 * tree and a core image per thread, its manifest (if any) passes the schema, and it was dumped
 * on this architecture. Every refusal is one ImageError or TableError naming the cause and the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CoreImage, listCoreTids, TASK_STATE } from './image/core.js';
import { DUMP_AGAIN, ImageError } from './image/image-error.js';
import { readInventory, type Inventory } from './image/inventory.js';
import { readPstree, type PstreeEntry } from './image/pstree.js';
import { readManifest, thisArch, type Manifest } from './manifest.js';
import { assertRegularImage, type LinkPolicy } from './image-files.js';

export interface ImageDir {
  dir: string;
  inventory: Inventory;
  manifest: Manifest | undefined;
  /** The process tree; a zombie's `threads` is empty. */
  pstree: PstreeEntry[];
  /** Processes dumped as zombies. */
  zombies: number[];
  /** Threads with a core image, ascending. */
  tids: number[];
  /** From the core images (core_entry.mtype). */
  arch: string;
}

/** Validate and open `dir`. Throws ImageError (ENOENT, EIMAGE, EARCH, EUNSAFE: a symlink or other non-regular file) or TableError (a bad manifest). */
export function openImageDir(dir: string, hostArch = thisArch(), opts: { links?: LinkPolicy } = {}): ImageDir {
  const op = 'open image';
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (cause) {
    throw new ImageError(op, `image directory ${dir} does not exist`, { cause, code: 'ENOENT', hint: 'give the directory cr-shim dump wrote' });
  }
  if (!st.isDirectory()) throw new ImageError(op, `${dir} is not a directory`, { code: 'ENOTDIR', hint: 'give the directory cr-shim dump wrote' });
  if (!fs.existsSync(path.join(dir, 'inventory.img'))) {
    const empty = fs.readdirSync(dir).length === 0;
    throw new ImageError(op, `${dir} ${empty ? 'is empty' : 'has no inventory.img'}: not a CRIU image directory, or a dump that did not finish`, {
      code: 'EIMAGE',
      hint: DUMP_AGAIN,
    });
  }
  // Before any file is read: cr-shim and CRIU (as root) read only regular files of an image.
  assertRegularImage(dir, op, opts.links);
  const inventory = readInventory(dir);
  const manifest = readManifest(dir);
  if (manifest !== undefined && manifest.arch !== hostArch) {
    throw new ImageError(op, `${dir} was dumped on ${manifest.arch} (${path.join(dir, 'cr-shim.json')}); this host is ${hostArch}`, {
      code: 'EARCH',
      hint: `CRIU cannot move a process between architectures: restore it on an ${manifest.arch} host`,
    });
  }
  if (!fs.existsSync(path.join(dir, 'pstree.img'))) {
    throw new ImageError(op, `${dir} has no pstree.img: a dump that did not finish`, { code: 'EIMAGE', hint: DUMP_AGAIN });
  }
  const tids = listCoreTids(dir);
  const zombies: number[] = [];
  const pstree = readPstree(dir).map((task) => {
    if (!tids.includes(task.pid)) throw new ImageError(op, `${dir} has no core-${task.pid}.img for process ${task.pid}`, { code: 'EIMAGE', hint: DUMP_AGAIN });
    // A zombie has no threads; CRIU writes a meaningless thread id for it.
    if (CoreImage.read(dir, task.pid).taskState() === TASK_STATE.dead) {
      zombies.push(task.pid);
      return { ...task, threads: [] };
    }
    for (const tid of task.threads) {
      if (!tids.includes(tid)) throw new ImageError(op, `${dir} has no core-${tid}.img for thread ${tid} of process ${task.pid}`, { code: 'EIMAGE', hint: DUMP_AGAIN });
    }
    return task;
  });
  const arches = new Set(tids.map((t) => CoreImage.read(dir, t).arch()));
  const arch = arches.size === 1 ? [...arches][0]! : [...arches].join('+');
  if (tids.length > 0 && arch !== hostArch) {
    throw new ImageError(op, `${dir} holds ${arch} tasks (core images); this host is ${hostArch}`, {
      code: 'EARCH',
      hint: `CRIU cannot move a process between architectures: restore it on an ${arch} host`,
    });
  }
  return { dir, inventory, manifest, pstree, zombies, tids, arch: tids.length > 0 ? arch : hostArch };
}
