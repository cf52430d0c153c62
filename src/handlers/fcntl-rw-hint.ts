/**
 * fcntl F_GET_FILE_RW_HINT and F_SET_FILE_RW_HINT under personas before 5.18, which removed them
 * (commit 7b12e49669c9 "fs: remove fs.f_write_hint"). 5.10's fs/fcntl.c fcntl_rw_hint():
 *   F_GET_FILE_RW_HINT  h = file->f_write_hint, or the inode's i_write_hint when that is
 *                       RWH_WRITE_LIFE_NOT_SET (file_write_hint()); copy_to_user(arg, &h, 8):
 *                       EFAULT when it fails
 *   F_SET_FILE_RW_HINT  copy_from_user(&h, arg, 8): EFAULT; (enum rw_hint)h outside
 *                       RWH_WRITE_LIFE_NOT_SET..RWH_WRITE_LIFE_EXTREME: EINVAL; else stored in the file
 * after do_fcntl's descriptor checks (EBADF; an O_PATH descriptor is EBADF for these commands).
 *
 * The hint belongs to the open file description. The supervisor keeps no descriptor of it (that
 * would keep the file open, its locks and leases held), but where it was set (task, descriptor)
 * and finds it again with kcmp(KCMP_FILE), which tells whether two descriptors of two tasks share
 * one description. Every descriptor that found it is remembered too, so the hint outlives the
 * one that set it while some descriptor that read or set it lives on.
 */
import fs from 'node:fs';
import { E } from '../native/errno.js';
import { sys } from '../native/libc.js';
import { takeFd } from './tracee-fd.js';
import type { Call, Handler, Reply } from './types.js';

/** <linux/fcntl.h> F_LINUX_SPECIFIC_BASE + 13, + 14 */
const F_GET_FILE_RW_HINT = 1037;
const F_SET_FILE_RW_HINT = 1038;
export const FILE_RW_HINT_CMDS: readonly number[] = [F_GET_FILE_RW_HINT, F_SET_FILE_RW_HINT];
/** The first release without them. */
export const FILE_RW_HINT_REMOVED = '5.18';
/** F_GET_RW_HINT, the inode's hint, which this kernel still has. */
const F_GET_RW_HINT = 1035;
const F_GETFL = 3;
const O_PATH = 0o10000000;
/** RWH_WRITE_LIFE_EXTREME, the last valid hint. */
const RWH_MAX = 5;
const SYS_kcmp = 312;
const KCMP_FILE = 0;

/** Is `h` (the u64 the task gave) a hint 5.10 took? It cast it to enum rw_hint, an int. */
export function validHint(h: bigint): boolean {
  const v = BigInt.asUintN(32, h);
  return v <= BigInt(RWH_MAX);
}

interface Ref { pid: number; fd: number }
interface Entry { dev: number; ino: number; hint: bigint; refs: Ref[] }

/** The hints set, one per open file description found so far. */
const entries: Entry[] = [];

/** Do (a.pid, a.fd) and (b.pid, b.fd) name one open file description? undefined: a is gone. */
function sameFile(a: Ref, b: Ref): boolean | undefined {
  if (a.pid === b.pid && a.fd === b.fd) return true;
  const r = sys.syscall5(SYS_kcmp, a.pid, b.pid, KCMP_FILE, a.fd, b.fd);
  if (r < 0) return undefined;
  return r === 0;
}

/** The entry of the description the task's fd names, the stale references dropped on the way. */
function find(ref: Ref, dev: number, ino: number): Entry | undefined {
  for (const e of entries) {
    if (e.dev !== dev || e.ino !== ino) continue;
    let hit = false;
    e.refs = e.refs.filter((r) => {
      if (hit) return true;
      const same = sameFile(r, ref);
      if (same === true) hit = true;
      return same !== undefined;
    });
    if (hit) {
      if (!e.refs.some((r) => r.pid === ref.pid && r.fd === ref.fd)) e.refs.push(ref);
      return e;
    }
  }
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.refs.length === 0) entries.splice(i, 1);
  return undefined;
}

export const fcntlRwHint: Handler = {
  id: 'fcntl-rw-hint',
  handle(call: Call): Reply {
    const fd = Number(BigInt.asIntN(32, call.args[0]!));
    const cmd = Number(BigInt.asUintN(32, call.args[1]!));
    const arg = call.args[2]!;
    const own = takeFd(call.pid, fd);
    if (typeof own !== 'number') return { kind: 'error', errno: own.errno === E.ESRCH ? E.ESRCH! : E.EBADF! };
    try {
      if ((sys.fcntl(own, F_GETFL, 0) & O_PATH) !== 0) return { kind: 'error', errno: E.EBADF! };
      const st = fs.fstatSync(own);
      const ref = { pid: call.pid, fd };
      if (cmd === F_SET_FILE_RW_HINT) {
        const raw = call.mem.read(arg, 8);
        if (raw === null) return { kind: 'error', errno: E.EFAULT! };
        const h = raw.readBigUInt64LE(0);
        if (!validHint(h)) return { kind: 'error', errno: E.EINVAL! };
        // The pid may have been reused while memory was read: act only for the same task.
        if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
        const e = find(ref, st.dev, st.ino);
        if (e) e.hint = BigInt.asUintN(32, h);
        else entries.push({ dev: st.dev, ino: st.ino, hint: BigInt.asUintN(32, h), refs: [ref] });
        return { kind: 'return', val: 0n };
      }
      let h = find(ref, st.dev, st.ino)?.hint ?? 0n;
      if (h === 0n) {
        const inode: [bigint] = [0n];
        if (sys.fcntlU64(own, F_GET_RW_HINT, inode) === 0) h = BigInt(inode[0]); // koffi may give a number back
      }
      const out = Buffer.alloc(8);
      out.writeBigUInt64LE(h, 0);
      if (!call.stillValid()) return { kind: 'error', errno: E.ESRCH! };
      return call.mem.write(arg, out) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EFAULT! };
    } finally {
      sys.close(own);
    }
  },
};
