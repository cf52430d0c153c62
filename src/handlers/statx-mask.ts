/**
 * statx under personas that did not know a mask bit this kernel reports (behaviour row
 * statx-mask). A kernel ignores request_mask bits it does not know (fs/stat.c) and reports in
 * stx_mask only the fields it filled; this one fills fields the persona's kernel never had
 * (STATX_MNT_ID_UNIQUE 6.8, ...), and tmpfs fills the birth time since 5.18 (commit
 * f7cd16a55837 "tmpfs: support for file creation time").
 *
 * The filter sends only calls whose mask asks for such a bit. A call on a descriptor (AT_EMPTY_PATH
 * and ""), is made here on the supervisor's duplicate of the task's descriptor (pidfd_getfd: the
 * same open file, so nothing the task could not stat itself) without the bits the persona ignored,
 * and the struct written back with the persona's stx_mask, the fields it did not fill zeroed. Path-based calls run in the kernel
 * (CONTINUE): resolving a path here would need the task's credentials, root and cwd.
 *
 * struct statx (256 bytes): mask u32 @0, ..., btime {i64 sec, u32 nsec, i32} @80, ...,
 *   mnt_id u64 @144, dio_mem_align u32 @152, dio_offset_align u32 @156, subvol u64 @160,
 *   atomic_write_unit_min u32 @168, _max u32 @172, _segments_max u32 @176, dio_read_offset_align u32 @180
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { loadArgTableFile } from '../tables/load.js';
import { unknownValues, type ArgTable } from '../tables/arg-table.js';
import { compareReleases } from '../tables/release.js';
import { takeFd } from './tracee-fd.js';
import { NativeKind } from '../native/addon-types.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';

/** <linux/stat.h> */
export const STATX_BTIME = 0x800;
/** tmpfs reports the birth time since 5.18. */
export const TMPFS_BTIME_SINCE = '5.18';
const AT_EMPTY_PATH = 0x1000;
const STATX_SIZE = 256;
/** <linux/magic.h> */
const TMPFS_MAGIC = 0x01021994;

/** Where each mask bit's field lies in struct statx, to be zeroed when the bit is cleared. */
const FIELDS: Readonly<Record<number, readonly [offset: number, length: number][]>> = {
  0x800: [[80, 16]],
  0x1000: [[144, 8]],
  0x2000: [[152, 8]],
  0x4000: [[144, 8]],
  0x8000: [[160, 8]],
  0x10000: [[168, 12]],
  0x20000: [[180, 4]],
};

let table: ArgTable | undefined;

/** What the persona's statx drops: the bits it did not know, and whether tmpfs's birth time too. */
export function personaDrops(release: string): { drop: number; btimeTmpfs: boolean } {
  table ??= loadArgTableFile();
  return { drop: unknownStatxBits(release, table), btimeTmpfs: compareReleases(release, TMPFS_BTIME_SINCE) < 0 };
}

/** The mask bits the persona's kernel did not know (tables/args statx-mask). */
export function unknownStatxBits(release: string, t: ArgTable): number {
  const g = t.groups['statx-mask'];
  return g === undefined ? 0 : unknownValues(g, release).reduce((m, v) => (m | v.value) >>> 0, 0);
}

/**
 * The struct as the persona's kernel would have written it: `drop` cleared from stx_mask and
 * their fields zeroed. Pure: `buf` is changed in place and returned.
 */
export function personaStatx(buf: Buffer, drop: number): Buffer {
  const mask = buf.readUInt32LE(0);
  const gone = mask & drop;
  if (gone === 0) return buf;
  buf.writeUInt32LE((mask & ~drop) >>> 0, 0);
  for (const [bit, spans] of Object.entries(FIELDS)) {
    if ((gone & Number(bit)) === 0) continue;
    // STATX_MNT_ID and STATX_MNT_ID_UNIQUE share stx_mnt_id: keep it while the other is reported.
    const sharers = Number(bit) === 0x1000 ? 0x4000 : Number(bit) === 0x4000 ? 0x1000 : 0;
    if ((mask & ~drop & sharers) !== 0) continue;
    for (const [off, len] of spans) buf.fill(0, off, off + len);
  }
  return buf;
}

export const statxMask: Handler = {
  id: 'statx-mask',
  handle(call: Call, ctx: HandlerContext): Reply {
    const flags = Number(BigInt.asUintN(32, call.args[2]!));
    const mask = Number(BigInt.asUintN(32, call.args[3]!));
    const persona = personaDrops(ctx.persona.mainline);
    // Sent here by another handler (sysctl-removed-stat) whatever the mask: only a mask the persona answered otherwise.
    if ((mask & (persona.drop | (persona.btimeTmpfs ? STATX_BTIME : 0))) === 0) return { kind: 'continue' };
    if ((flags & AT_EMPTY_PATH) === 0) return { kind: 'continue' };
    const p = call.mem.readString(call.args[1]!);
    if (p !== '') return { kind: 'continue' };
    const dirfd = Number(BigInt.asIntN(32, call.args[0]!));
    const own = takeFd(call.pid, dirfd);
    // AT_FDCWD, a bad descriptor, a task gone: the kernel's own answer.
    if (typeof own !== 'number') return { kind: 'continue' };
    try {
      let drop = persona.drop;
      // Asked without the bits the persona's kernel ignored: what it filled for the rest follows
      // (6.8+ fills stx_mnt_id with the unique id, and leaves STATX_MNT_ID out, when asked for both).
      const buf = Buffer.alloc(STATX_SIZE);
      if (sys.statx(own, '', flags, (mask & ~drop) >>> 0, buf) < 0) return { kind: 'error', errno: sys.errno() };
      if (persona.btimeTmpfs && fs.statfsSync(`/proc/self/fd/${own}`).type === TMPFS_MAGIC) drop |= STATX_BTIME;
      // The pid may have been reused since the descriptor was taken: write only into the same task.
      if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
      return call.mem.write(call.args[4]!, personaStatx(buf, drop)) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EFAULT! };
    } finally {
      sys.close(own);
    }
  },
  native(_arch, _nr, _name, ctx) {
    const { drop, btimeTmpfs } = personaDrops(ctx.persona.mainline);
    return { kind: NativeKind.statxPersona, val: drop, arg: btimeTmpfs ? 1 : 0 };
  },
};
