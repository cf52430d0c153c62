/*
 * The regular files (and device nodes, which CRIU dumps as regular files) a dump refers to.
 * Field numbers used here (images/fdinfo.proto, regfile.proto, remap-file-path.proto, core.proto):
 *
 *   files.img        ::= HEAD { file_entry }
 *   file_entry       ::= 1 type: enum fd_types (1 REG)  | 2 id: uint32  | 3 reg: reg_file_entry | ...
 *   reg-files.img    ::= HEAD { reg_file_entry }          images of CRIU before files.img
 *   reg_file_entry   ::= 1 id | 6 name: string            the path in the task's mount namespace
 *                      | 7 mnt_id: sint32                 set when the dump had its own mount namespace
 *                      | 8 size: uint64                   regular files; restore fails when it differs
 *                      | 9 ext: bool                      an external file, given at restore
 *                      | 10 mode: uint32                  st_mode; restore fails when it differs
 *   remap-fpath.img  ::= HEAD { remap_file_path_entry }   files CRIU brings back another way
 *   remap_file_path_entry ::= 1 orig_id | 2 remap_id | 3 remap_type (0 linked, 1 ghost, 2 procfs)
 *   ids-PID.img      ::= HEAD task_kobj_ids_entry ::= 2 files_id: uint32 | ...
 *   fdinfo-N.img     ::= HEAD { fdinfo_entry }            N = files_id of the processes sharing the table
 *   fdinfo_entry     ::= 1 id: uint32 | 3 type: enum fd_types | 4 fd: uint32
 *
 * A file used only through a mapping (a library, the executable) appears with no holder.
 * Device numbers are not recorded: CRIU reopens a device node by path and checks only st_mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeEntries, readImage, readingImage } from './image-file.js';
import type { WireMessage } from './protobuf-wire.js';
import { readPstree } from './pstree.js';

const FD_TYPE_REG = 1;

export interface ImageRegFile {
  id: number;
  name: string;
  mode?: number;
  size?: bigint;
  /** Marked external at dump time (--external): the user supplies it at restore. */
  ext: boolean;
  /** Resolved in a mount namespace of the dump (mnt_id present), not the host's root. */
  inMountNamespace: boolean;
  /** Listed in remap-fpath.img: brought back from the image (ghost) or a link, not by its path. */
  remapped: boolean;
  /** Descriptors that hold it: process id and fd number. */
  holders: { pid: number; fd: number }[];
}

function entriesOf(imgDir: string, name: string, kind: 'files' | 'regFiles' | 'remapFilePath' | 'ids' | 'fdinfo'): WireMessage[] {
  const file = path.join(imgDir, name);
  if (!fs.existsSync(file)) return [];
  return decodeEntries(readImage(file, kind), file);
}

/** Every regular-file entry of the dump with who holds it. Throws ImageError when an image is corrupt. */
export function readRegFiles(imgDir: string): ImageRegFile[] {
  const regs: WireMessage[] = [];
  for (const fe of entriesOf(imgDir, 'files.img', 'files')) {
    const reg = readingImage(path.join(imgDir, 'files.img'), () => (fe.uint(1) === FD_TYPE_REG ? fe.message(3) : undefined));
    if (reg !== undefined) regs.push(reg);
  }
  regs.push(...entriesOf(imgDir, 'reg-files.img', 'regFiles'));

  const remapped = new Set(entriesOf(imgDir, 'remap-fpath.img', 'remapFilePath').map((m) => m.uint(1)));

  const holders = new Map<number, { pid: number; fd: number }[]>();
  for (const task of readPstree(imgDir)) {
    const ids = entriesOf(imgDir, `ids-${task.pid}.img`, 'ids')[0];
    const filesId = ids?.uint(2);
    if (filesId === undefined) continue;
    for (const fdi of entriesOf(imgDir, `fdinfo-${filesId}.img`, 'fdinfo')) {
      if (fdi.uint(3) !== FD_TYPE_REG) continue;
      const id = fdi.uint(1) ?? 0;
      const list = holders.get(id) ?? [];
      if (!list.some((h) => h.pid === task.pid && h.fd === fdi.uint(4))) list.push({ pid: task.pid, fd: fdi.uint(4) ?? -1 });
      holders.set(id, list);
    }
  }

  return regs.map((r) =>
    readingImage(path.join(imgDir, 'files.img'), () => {
      const id = r.uint(1) ?? 0;
      const mode = r.uint(10);
      const size = r.uint64(8);
      return {
        id,
        name: r.string(6) ?? '',
        ...(mode !== undefined ? { mode } : {}),
        ...(size !== undefined ? { size } : {}),
        ext: r.uint(9) === 1,
        inMountNamespace: r.has(7),
        remapped: remapped.has(id),
        holders: holders.get(id) ?? [],
      };
    }),
  );
}
