/**
 * uname(2) and its two older forms, answered with the persona's sysname,
 * release and version; nodename, machine and domainname stay real.
 *
 * Layouts (include/uapi/linux/utsname.h), every field NUL-padded:
 *   new_utsname    = 6 x char[65]: sysname nodename release version machine domainname   (uname: x86_64 63, ia32 122)
 *   old_utsname    = 5 x char[65]: sysname nodename release version machine              (olduname: ia32 109)
 *   oldold_utsname = 5 x char[9]:  the same five, cut to 8 bytes + NUL                   (oldolduname: ia32 59)
 */
import fs from 'node:fs';
import os from 'node:os';
import { E } from '../native/errno.js';
import type { Call, Handler, HandlerContext, Reply } from './types.js';
import type { Persona } from '../persona/types.js';
import { NativeKind } from '../native/addon-types.js';

interface Layout { fields: number; width: number }

const LAYOUTS: Record<string, Layout> = {
  uname: { fields: 6, width: 65 },
  olduname: { fields: 5, width: 65 },
  oldolduname: { fields: 5, width: 9 },
};

function realDomainname(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trimEnd();
  } catch {
    return '(none)';
  }
}

/** The bytes a persona's kernel would copy out for this form of uname. */
export function utsnameBytes(syscall: string, persona: Persona, real = { nodename: os.hostname(), machine: os.machine(), domainname: realDomainname() }): Buffer {
  const layout = LAYOUTS[syscall];
  if (!layout) throw new Error(`no utsname layout for ${syscall}`);
  const values = [persona.sysname, real.nodename, persona.release, persona.version, real.machine, real.domainname];
  const out = Buffer.alloc(layout.fields * layout.width);
  for (let i = 0; i < layout.fields; i++) {
    // Like the kernel's strscpy/memcpy into fixed arrays: cut to width-1 and keep the NUL.
    Buffer.from(values[i] ?? '', 'utf8').copy(out, i * layout.width, 0, layout.width - 1);
  }
  return out;
}

export const uname: Handler = {
  id: 'uname',
  handle(call: Call, ctx: HandlerContext): Reply {
    const bytes = utsnameBytes(call.name, ctx.persona);
    // The pid could have been reused since the notification: never write into a stranger.
    if (!call.stillValid()) return { kind: 'error', errno: E.ENOENT! };
    return call.mem.write(call.args[0]!, bytes) ? { kind: 'return', val: 0n } : { kind: 'error', errno: E.EFAULT! };
  },
  native(_arch, _nr, name, ctx) {
    return { kind: NativeKind.writeArg, arg: 0, bytes: utsnameBytes(name, ctx.persona), val: 0 };
  },
};
