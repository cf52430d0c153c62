/**
 * The mappings of a live task that may not move, from /proc/PID/maps:
 *
 *   maps ::= { START "-" END " " PERMS " " OFFSET " " MAJ ":" MIN " " INODE [ " "+ PATH ] "\n" }
 *   PERMS ::= [r-] [w-] [x-] [ps]        (s: MAP_SHARED)
 *
 * Device mappings (PATH a character device other than /dev/zero), kernel objects
 * (anon_inode:NAME) and shared objects without a file of their own (shared anonymous memory,
 * shown as "/dev/zero (deleted)", memfds, SysV segments "/SYSV%08x (deleted)"), whose sharing
 * with processes outside the tree a restore cannot keep.
 */
import fs from 'node:fs';
import type { MapFacts } from './classify.js';
import { deviceFacts, splitDev } from './sys-devices.js';

export interface MapLine {
  range: string;
  shared: boolean;
  /** "MAJ:MIN:INODE" of the backing object, the key that finds other processes mapping it. */
  key: string;
  inode: number;
  path: string;
}

/** Parse /proc/PID/maps text. */
export function parseMaps(text: string): MapLine[] {
  const out: MapLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+-[0-9a-f]+) (\S{4}) [0-9a-f]+ ([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    out.push({ range: m[1]!, shared: m[2]![3] === 's', key: `${m[3]!}:${m[4]!}`, inode: Number(m[4]), path: m[5] ?? '' });
  }
  return out;
}

/** A mapping whose sharing a dump cannot carry: shared memory with no file of its own. */
export function isSharedObject(l: MapLine): boolean {
  return l.shared && l.inode !== 0 && /^\/(dev\/zero \(deleted\)|SYSV[0-9a-f]{8}( \(deleted\))?|memfd:)/.test(l.path);
}

export function readMaps(pid: number): MapLine[] {
  try {
    return parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch {
    return [];
  }
}

/**
 * The mappings of `pid` worth classifying: devices, kernel objects and shared objects, the
 * latter with the processes outside the tree that map the same object (`outsideUsers`).
 */
export function mappingsOf(lines: readonly MapLine[], outsideUsers: ReadonlyMap<string, readonly { pid: number; comm: string }[]>): MapFacts[] {
  const out: MapFacts[] = [];
  const seen = new Set<string>();
  for (const l of lines) {
    if (l.path.startsWith('anon_inode:')) {
      if (!seen.has(l.path)) out.push({ range: l.range, path: l.path });
      seen.add(l.path);
      continue;
    }
    if (isSharedObject(l)) {
      const users = outsideUsers.get(l.key);
      if (users !== undefined && !seen.has(l.key)) out.push({ range: l.range, path: l.path, sharedOutside: users });
      seen.add(l.key);
      continue;
    }
    if (!l.path.startsWith('/dev/') || l.path.endsWith(' (deleted)') || seen.has(l.path)) continue;
    seen.add(l.path);
    let st: fs.Stats;
    try {
      st = fs.statSync(l.path);
    } catch {
      continue;
    }
    if (!st.isCharacterDevice()) continue;
    const { major, minor } = splitDev(st.rdev);
    const device = deviceFacts('char', major, minor);
    out.push({ range: l.range, path: l.path, device: { major, minor, ...(device ? { device } : {}) } });
  }
  return out;
}
