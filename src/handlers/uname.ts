/**
 * uname(2) and its two older forms: sysname, release and version from the persona;
 * nodename and domainname from the calling task's UTS namespace at the time of the call;
 * machine and release as the task's personality selects them, as the persona's kernel did
 * (kernel/sys.c override_architecture, override_release):
 *   PER_LINUX32 (personality & 0xff == 0x0008): machine "i686" (COMPAT_UTS_MACHINE on x86_64)
 *   UNAME26 (0x0020000), from 3.1: release "2.6.(40 + minor)" on 3.x, "2.6.(60 + minor)" from 4.0,
 *     followed by the release's text after MAJOR.MINOR.SUBLEVEL (e.g. "-28-amd64"); before
 *     3.1 the flag changed nothing.
 *
 * Layouts (include/uapi/linux/utsname.h), every field NUL-padded:
 *   new_utsname    = 6 x char[65]: sysname nodename release version machine domainname   (uname: x86_64 63, ia32 122)
 *   old_utsname    = 5 x char[65]: sysname nodename release version machine              (olduname: ia32 109)
 *   oldold_utsname = 5 x char[9]:  the same five, cut to 8 bytes + NUL                   (oldolduname: ia32 59)
 *
 * The native loop answers with the same bytes (NativeKind.uname; native/task-uts.c reads the
 * task), and `personality`, `setns` and `unshare` pass through it so that what it caches about
 * a task is dropped when the task changes it (unameWatch below).
 */
import fs from 'node:fs';
import os from 'node:os';
import { E } from '../native/errno.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';
import type { Persona } from '../persona/types.js';
import { NativeKind, type TaskUts } from '../native/addon-types.js';
import { loadAddon } from '../native/addon.js';

interface Layout { fields: number; width: number }

const LAYOUTS: Record<string, Layout> = {
  uname: { fields: 6, width: 65 },
  olduname: { fields: 5, width: 65 },
  oldolduname: { fields: 5, width: 9 },
};

const PER_MASK = 0xff;
const PER_LINUX32 = 0x0008;
const UNAME26 = 0x0020000;
const MACHINE32 = 'i686';

/** The release a kernel of `release` reported under UNAME26 (kernel/sys.c override_release). */
export function uname26Release(release: string): string {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (m === null) return release;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < 3 || (major === 3 && minor < 1)) return release;
  // The kernel skips digits and dots up to the third dot; what follows is kept.
  let at = 0;
  for (let dots = 0; at < release.length; at++) {
    const c = release[at]!;
    if (c === '.' && ++dots >= 3) break;
    if (c !== '.' && (c < '0' || c > '9')) break;
  }
  return `2.6.${minor + (major === 3 ? 40 : 60)}${release.slice(at)}`;
}

function put(out: Buffer, index: number, width: number, value: string): void {
  out.fill(0, index * width, (index + 1) * width);
  // Like the kernel's strscpy/memcpy into fixed arrays: cut to width-1 and keep the NUL.
  Buffer.from(value, 'utf8').copy(out, index * width, 0, width - 1);
}

function layoutOf(syscall: string): Layout {
  const layout = LAYOUTS[syscall];
  if (!layout) throw new Error(`no utsname layout for ${syscall}`);
  return layout;
}

/** The bytes the persona's kernel would copy out for this form of uname, to the task `task` describes. */
export function utsnameBytes(syscall: string, persona: Persona, task: TaskUts, machine = os.machine()): Buffer {
  const { fields, width } = layoutOf(syscall);
  const release = task.personality & UNAME26 ? uname26Release(persona.release) : persona.release;
  const values = [persona.sysname, task.nodename, release, persona.version, (task.personality & PER_MASK) === PER_LINUX32 ? MACHINE32 : machine, task.domainname];
  const out = Buffer.alloc(fields * width);
  for (let i = 0; i < fields; i++) put(out, i, width, values[i] ?? '');
  return out;
}

/**
 * This process's own names and no personality: for a mechanism that cannot look at the
 * calling task (sigsys answers inside the program from verdicts fixed at start).
 */
export function startupTaskUts(): TaskUts {
  let domainname = '(none)';
  try {
    domainname = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trimEnd();
  } catch {
    // keep the kernel's default
  }
  return { nodename: os.hostname(), domainname, personality: 0 };
}

/** The native loop's template: the utsname with empty names, then the UNAME26 release and the PER_LINUX32 machine fields. */
export function unameTemplate(syscall: string, persona: Persona, machine = os.machine()): { bytes: Buffer; width: number } {
  const { width } = layoutOf(syscall);
  const base = utsnameBytes(syscall, persona, { nodename: '', domainname: '', personality: 0 }, machine);
  const extra = Buffer.alloc(2 * width);
  put(extra, 0, width, uname26Release(persona.release));
  put(extra, 1, width, MACHINE32);
  return { bytes: Buffer.concat([base, extra]), width };
}

export const uname: Handler = {
  id: 'uname',
  handle(call: Call, ctx: HandlerContext): Reply {
    const task = loadAddon().taskUts(call.pid);
    if (task === null) return { kind: 'error', errno: E.ENOENT! };
    const bytes = utsnameBytes(call.name, ctx.persona, task);
    // The pid could have been reused since the notification: never write into a stranger.
    if (!call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
    return call.mem.write(call.args[0]!, bytes) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EFAULT! };
  },
  native(_arch, _nr, name, ctx) {
    const { bytes, width } = unameTemplate(name, ctx.persona);
    return { kind: NativeKind.uname, arg: 0, bytes, width, val: 0 };
  },
};

/** personality, setns, unshare: run as asked; what uname caches about the task is dropped first. */
export const unameWatch: Handler = {
  id: 'uname-watch',
  handle(call: Call): Reply {
    loadAddon().forgetTask(call.pid);
    return { kind: 'continue' };
  },
  native() {
    return { kind: NativeKind.forgetTask };
  },
};
