/**
 * kexec_load on a host built without CONFIG_KEXEC, which answers EPERM to every caller. A
 * kernel with it (kernel/kexec.c, kexec_load_check() and the syscall) checks, in order:
 * CAP_SYS_BOOT (and kexec_load_disabled): EPERM; flags other than the architecture field
 * outside KEXEC_ON_CRASH | KEXEC_PRESERVE_CONTEXT (| KEXEC_UPDATE_ELFCOREHDR from 6.6,
 * | KEXEC_CRASH_HOTPLUG_SUPPORT from 6.10): EINVAL; more than KEXEC_SEGMENT_MAX (16)
 * segments: EINVAL; an architecture field neither KEXEC_ARCH_DEFAULT nor KEXEC_ARCH_X86_64:
 * EINVAL. No segment unloads the current image: 0, there is none here. Otherwise the
 * segment list is copied (EFAULT when unreadable) and a well-formed request answers EPERM,
 * as with kernel.kexec_load_disabled=1: there is no image loader behind it here.
 */
import { compareReleases } from '../tables/release.js';
import { E } from '../native/errno.js';
import { CAP, hasCap, readCreds } from '../native/tracee-creds.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';

const KEXEC_ARCH_MASK = 0xffff0000;
const KEXEC_ARCH_X86_64 = 62 << 16;
const KEXEC_SEGMENT_MAX = 16;
/** sizeof(struct kexec_segment) on x86_64: buf, bufsz, mem, memsz. */
const SEGMENT_SIZE = 32;

function knownFlags(release: string): number {
  if (compareReleases(release, '6.10') >= 0) return 0xf;
  if (compareReleases(release, '6.6') >= 0) return 0x7;
  return 0x3;
}

const err = (errno: number | undefined): Reply => ({ kind: 'error', errno: errno! });

export const kexecLoad: Handler = {
  id: 'kexec_load',
  handle(call: Call, ctx: HandlerContext): Reply {
    const creds = readCreds(call.pid);
    if (creds === null) return err(E.ESRCH);
    if (!hasCap(creds, CAP.SYS_BOOT)) return err(E.EPERM);
    const nrSegments = call.args[1]!;
    const flags = Number(BigInt.asUintN(32, call.args[3]!));
    const arch = (flags & KEXEC_ARCH_MASK) >>> 0;
    if (((flags & ~KEXEC_ARCH_MASK) & ~knownFlags(ctx.persona.mainline)) !== 0) return err(E.EINVAL);
    if (nrSegments > BigInt(KEXEC_SEGMENT_MAX)) return err(E.EINVAL);
    if (arch !== 0 && arch !== KEXEC_ARCH_X86_64) return err(E.EINVAL);
    if (nrSegments === 0n) return { kind: 'return', val: 0n };
    if (call.mem.read(call.args[2]!, Number(nrSegments) * SEGMENT_SIZE) === null) return err(E.EFAULT);
    return err(E.EPERM);
  },
};
