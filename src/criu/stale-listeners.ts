/**
 * Seccomp filters of an image that hand calls to a supervisor (SECCOMP_RET_USER_NOTIF) whose
 * listener CRIU does not carry: restored as they are, every call they send there fails with
 * ENOSYS, and the program's own filter wins over the one cr-shim injects for the calls both
 * trap (the kernel takes the newest filter's answer only among equal actions). cr-shim's own
 * filter, named in the manifest, is not one of them: restore drops it (convert.ts).
 */
import { decode } from '../bpf/encode.js';
import { BPF_K, BPF_RET, SECCOMP_RET, SECCOMP_RET_ACTION_FULL } from '../bpf/insn.js';
import { readImageFilters } from './image/seccomp.js';
import { filterSha256 } from './supervised-record.js';
import { ShimError } from '../errors.js';

/** Indices in seccomp.img of the filters that can return USER_NOTIF, cr-shim's own (`shimSha`) left out. Throws ImageError for an unreadable image. */
export function staleNotifyFilters(imgDir: string, shimSha: string | undefined): number[] {
  const out: number[] = [];
  for (const f of readImageFilters(imgDir).filters) {
    if (shimSha !== undefined && filterSha256(f.insns) === shimSha) continue;
    let insns;
    try {
      insns = decode(f.insns);
    } catch {
      continue;
    }
    if (insns.some((i) => i.code === (BPF_RET | BPF_K) && ((i.k & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET.USER_NOTIF)) out.push(f.index);
  }
  return out;
}

/** The one-line reason, for check's warnings and restore's refusal. */
export function staleNotifyReason(index: number): string {
  return `seccomp filter ${index} (not cr-shim's) returns SECCOMP_RET_USER_NOTIF: its supervisor's listener is not in the image, so after a restore those calls fail with ENOSYS`;
}

export const STALE_NOTIFY_HINT =
  "if it is cr-shim's filter from a plain criu dump or an older cr-shim, dump the tree again with this cr-shim dump (it recognises every task of a supervised tree); a listener another supervisor held cannot be restored";

/**
 * Never a restore into ENOSYS: throws ShimError (ENOTSUP, with the hint) naming the first filter
 * of the image that returns USER_NOTIF without its listener. Used by restore (in the CLI or the
 * service for a thin client) and by the service for the CRIU plugin.
 */
export function assertNoStaleNotify(imgDir: string, shimSha: string | undefined): void {
  const stale = staleNotifyFilters(imgDir, shimSha);
  if (stale.length === 0) return;
  throw new ShimError('restore', `${imgDir}: ${staleNotifyReason(stale[0]!)}${stale.length > 1 ? ` (and ${stale.length - 1} more such filters)` : ''}; nothing was restored`, {
    code: 'ENOTSUP',
    hint: STALE_NOTIFY_HINT,
  });
}
