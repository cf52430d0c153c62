/**
 * Which files of a dump cannot be reopened on this host as CRIU's restore reopens them: by path,
 * then refusing a regular file whose size changed and any file whose st_mode differs
 * (criu/files-reg.c). A device node is dumped as a path plus a mode, without its device number:
 * when the node is missing here, or no driver here claims its major number, the hardware or
 * driver behind it is not on this host and the file cannot move.
 *
 *   /proc/devices ::= "Character devices:" "\n" { MAJOR " " NAME "\n" } "\n"
 *                     "Block devices:" "\n" { MAJOR " " NAME "\n" }
 */
import fs from 'node:fs';
import type { ImageRegFile } from './image/files.js';

export interface FileProblem {
  path: string;
  /** What is wrong, in the user's words. */
  problem: string;
  fix: string;
  /** Who holds it: "fd 3 of pid 123", or "mapped" for a file used only through memory. */
  heldBy: string;
}

const S_IFMT = 0o170000;
const TYPE: Readonly<Record<number, string>> = {
  0o140000: 'socket',
  0o120000: 'symbolic link',
  0o100000: 'regular file',
  0o060000: 'block device',
  0o040000: 'directory',
  0o020000: 'character device',
  0o010000: 'FIFO',
};
const typeOf = (mode: number): string => TYPE[mode & S_IFMT] ?? `file type 0${(mode & S_IFMT).toString(8)}`;
const isDevice = (mode: number): boolean => (mode & S_IFMT) === 0o020000 || (mode & S_IFMT) === 0o060000;

/** Registered majors: { char, block } from /proc/devices text. */
export function parseProcDevices(text: string): { char: Set<number>; block: Set<number> } {
  const out = { char: new Set<number>(), block: new Set<number>() };
  let section: Set<number> | undefined;
  for (const line of text.split('\n')) {
    if (/^Character devices:/.test(line)) section = out.char;
    else if (/^Block devices:/.test(line)) section = out.block;
    else {
      const m = /^\s*(\d+)\s+\S/.exec(line);
      if (m?.[1] !== undefined) section?.add(Number(m[1]));
    }
  }
  return out;
}

function heldBy(f: ImageRegFile): string {
  if (f.holders.length === 0) return 'mapped';
  return f.holders.map((h) => `fd ${h.fd} of pid ${h.pid}`).join(', ');
}

export interface HostFs {
  stat(path: string): fs.Stats | undefined;
  devices: { char: Set<number>; block: Set<number> };
}

/** This host: stat(2) by path (following links, as CRIU's open does) and /proc/devices. */
export function thisHostFs(): HostFs {
  let devices = { char: new Set<number>(), block: new Set<number>() };
  try {
    devices = parseProcDevices(fs.readFileSync('/proc/devices', 'utf8'));
  } catch {
    // Without /proc/devices every existing device node is taken to have its driver.
  }
  return {
    stat: (p) => {
      try {
        return fs.statSync(p);
      } catch {
        return undefined;
      }
    },
    devices,
  };
}

/** The files of a dump that a restore here could not reopen, with why and what to do. */
export function filesThatCannotMove(files: readonly ImageRegFile[], host: HostFs = thisHostFs()): FileProblem[] {
  const out: FileProblem[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    // CRIU brings these back by other means: from the image (ghosts), from the user, or inside
    // the dump's own mount namespace; /proc paths name the dumped tasks, which do not exist yet.
    if (f.ext || f.remapped || f.inMountNamespace || f.name.startsWith('/proc/') || !f.name.startsWith('/')) continue;
    const key = `${f.name}\0${String(f.mode)}\0${String(f.size)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = (problem: string, fix: string) => out.push({ path: f.name, problem, fix, heldBy: heldBy(f) });
    const st = host.stat(f.name);
    const mode = f.mode;
    if (st === undefined) {
      if (mode !== undefined && isDevice(mode)) {
        p(`${typeOf(mode)} ${f.name} does not exist on this host: the hardware or driver behind it is not here`, 'it cannot move here: restore on a host that has the device, or have the program close it before the dump');
      } else {
        p(`${f.name} does not exist on this host`, 'put the same file at the same path (same size and mode), or restore where it exists');
      }
      continue;
    }
    if (mode === undefined) continue;
    if ((st.mode & S_IFMT) !== (mode & S_IFMT)) {
      p(`${f.name} is a ${typeOf(st.mode)} here, a ${typeOf(mode)} in the image`, 'put the original file back at that path, or restore where it exists');
      continue;
    }
    if (isDevice(mode)) {
      const major = Math.floor(st.rdev / 256) & 0xfff;
      const registered = (mode & S_IFMT) === 0o020000 ? host.devices.char : host.devices.block;
      if (registered.size > 0 && !registered.has(major)) {
        p(`${typeOf(mode)} ${f.name} (major ${major}) has no driver on this host: the hardware behind it is not here`, 'it cannot move here: restore on a host that has the device');
        continue;
      }
    }
    if (st.mode !== mode) {
      const onlyPerms = (st.mode & ~0o777) === (mode & ~0o777);
      p(
        `${f.name} has mode 0${(st.mode & 0o7777).toString(8)} here, 0${(mode & 0o7777).toString(8)} in the image`,
        onlyPerms ? `chmod 0${(mode & 0o7777).toString(8)} ${f.name}, or restore with criu's --skip-file-rwx-check` : 'put the original file back at that path',
      );
      continue;
    }
    if (typeOf(mode) === 'regular file' && f.size !== undefined && BigInt(st.size) !== f.size) {
      p(`${f.name} is ${st.size} bytes here, ${f.size} in the image: it changed since the dump`, 'restore the file as it was at dump time, or dump again');
    }
  }
  return out;
}
