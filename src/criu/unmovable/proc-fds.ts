/**
 * The open files of a live task, from /proc/PID/fd (one link per fd: a path, "pipe:[INO]",
 * "socket:[INO]" or "anon_inode:NAME") and stat(2) through each link (the file itself: its
 * type and, for a device, its number). Sockets are looked up in the namespace's tables
 * (proc-sockets.ts), devices in sysfs (sys-devices.ts).
 */
import fs from 'node:fs';
import type { FdFacts, SocketFacts } from './classify.js';
import { deviceFacts, splitDev } from './sys-devices.js';

/** The fds of `pid`, in fd order; empty when the task is gone. `sockets` maps socket inodes of its namespace. */
export function fdsOf(pid: number, sockets: ReadonlyMap<number, SocketFacts>): FdFacts[] {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: FdFacts[] = [];
  for (const fd of names.map(Number).sort((a, b) => a - b)) {
    const p = `/proc/${pid}/fd/${fd}`;
    let link: string;
    try {
      link = fs.readlinkSync(p);
    } catch {
      continue; // closed meanwhile
    }
    const f = factsOf(fd, link, p, sockets);
    if (f !== undefined) out.push(f);
  }
  return out;
}

function factsOf(fd: number, link: string, p: string, sockets: ReadonlyMap<number, SocketFacts>): FdFacts | undefined {
  if (link.startsWith('anon_inode:')) return { fd, link, type: 'anon', anon: link.slice('anon_inode:'.length) };
  const sock = /^socket:\[(\d+)\]$/.exec(link);
  if (sock?.[1] !== undefined) {
    const ino = Number(sock[1]);
    const socket = sockets.get(ino);
    return { fd, link, type: 'socket', ino, ...(socket ? { socket } : {}) };
  }
  if (/^pipe:\[\d+\]$/.test(link)) return { fd, link, type: 'pipe' };
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return undefined;
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const kind = st.isCharacterDevice() ? 'char' : 'block';
    const { major, minor } = splitDev(st.rdev);
    const device = deviceFacts(kind, major, minor);
    return { fd, link, type: kind, major, minor, ...(device ? { device } : {}) };
  }
  if (st.isFIFO()) return { fd, link, type: 'fifo' };
  if (link.startsWith('/') && (st.isFile() || st.isDirectory() || st.isSymbolicLink())) return { fd, link, type: 'path' };
  // Namespace files (/proc/PID/ns/*) read "net:[INO]": CRIU dumps those as nsfiles.
  if (/^[a-z_]+:\[\d+\]$/.test(link)) return { fd, link, type: 'path' };
  return { fd, link, type: 'other' };
}
