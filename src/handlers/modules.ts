/**
 * init_module, finit_module and delete_module on a host built without CONFIG_MODULES, which
 * answers EPERM to every caller. A kernel with modules (kernel/module.c, 3.8 to 6.x) checks,
 * in order:
 *
 *   all three      CAP_SYS_MODULE (and modules_disabled): EPERM
 *   init_module    len < sizeof(Elf64_Ehdr): ENOEXEC; the image unreadable: EFAULT;
 *                  not an ELF image: ENOEXEC
 *   finit_module   flags outside IGNORE_MODVERSIONS | IGNORE_VERMAGIC (| COMPRESSED_FILE
 *                  from 5.17): EINVAL; fd not open: EBADF; not opened for reading: EBADF;
 *                  not a regular file: EINVAL; not an ELF image: ENOEXEC
 *   delete_module  name unreadable: EFAULT; no module of that name: ENOENT (none is loaded
 *                  here, so that is every name)
 *
 * A well-formed module passes every check and answers EPERM, as a kernel with
 * kernel.modules_disabled=1 does: there is no module loader behind it here.
 */
import fs from 'node:fs';
import { compareReleases } from '../tables/release.js';
import { E } from '../native/errno.js';
import { CAP, hasCap, readCreds } from '../native/tracee-creds.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ELF64_EHDR_SIZE = 64;
/** MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC, and MODULE_INIT_COMPRESSED_FILE (5.17). */
const FINIT_FLAGS_OLD = 0x3;
const FINIT_FLAGS_517 = 0x7;
/** MODULE_NAME_LEN - 1: delete_module copies at most this many bytes of the name. */
const MODULE_NAME_MAX = 55;
const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;

const err = (errno: number | undefined): Reply => ({ kind: 'error', errno: errno! });

/** EPERM without CAP_SYS_MODULE; ESRCH when the task is gone. */
function capabilityCheck(call: Call): Reply | undefined {
  const creds = readCreds(call.pid);
  if (creds === null) return err(E.ESRCH);
  return hasCap(creds, CAP.SYS_MODULE) ? undefined : err(E.EPERM);
}

export const initModule: Handler = {
  id: 'init_module',
  handle(call: Call): Reply {
    const denied = capabilityCheck(call);
    if (denied) return denied;
    const len = call.args[1]!;
    if (len < BigInt(ELF64_EHDR_SIZE)) return err(E.ENOEXEC);
    const head = call.mem.read(call.args[0]!, ELF64_EHDR_SIZE);
    // The kernel copies the whole image: its last byte must be readable too.
    const tail = head === null ? null : call.mem.read(call.args[0]! + len - 1n, 1);
    if (head === null || tail === null) return err(E.EFAULT);
    if (!head.subarray(0, 4).equals(ELF_MAGIC)) return err(E.ENOEXEC);
    return err(E.EPERM);
  },
};

export const finitModule: Handler = {
  id: 'finit_module',
  handle(call: Call, ctx: HandlerContext): Reply {
    const denied = capabilityCheck(call);
    if (denied) return denied;
    const known = compareReleases(ctx.persona.mainline, '5.17') >= 0 ? FINIT_FLAGS_517 : FINIT_FLAGS_OLD;
    const flags = Number(BigInt.asUintN(32, call.args[2]!));
    if ((flags & ~known) !== 0) return err(E.EINVAL);
    const fd = Number(BigInt.asIntN(32, call.args[0]!));
    const link = `/proc/${call.pid}/fd/${fd}`;
    let st: fs.Stats;
    let accmode: number;
    try {
      if (fd < 0) return err(E.EBADF);
      st = fs.statSync(link);
      const info = fs.readFileSync(`/proc/${call.pid}/fdinfo/${fd}`, 'utf8');
      accmode = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8) & O_ACCMODE;
    } catch {
      return err(E.EBADF);
    }
    if (accmode === O_WRONLY) return err(E.EBADF);
    if (!st.isFile()) return err(E.EINVAL);
    const head = Buffer.alloc(4);
    let n = 0;
    try {
      const own = fs.openSync(link, 'r');
      try {
        n = fs.readSync(own, head, 0, 4, 0);
      } finally {
        fs.closeSync(own);
      }
    } catch {
      return err(E.EBADF);
    }
    if (n < 4 || !head.equals(ELF_MAGIC)) return err(E.ENOEXEC);
    return err(E.EPERM);
  },
};

export const deleteModule: Handler = {
  id: 'delete_module',
  handle(call: Call): Reply {
    const denied = capabilityCheck(call);
    if (denied) return denied;
    const name = call.mem.readString(call.args[0]!, MODULE_NAME_MAX + 1);
    if (name === null) return err(E.EFAULT);
    return err(E.ENOENT);
  },
};
