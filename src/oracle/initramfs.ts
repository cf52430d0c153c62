/**
 * A small initramfs for the oracle's guest: a static busybox, an init script that
 * mounts proc, sys and devtmpfs, runs the payload and sends its output directory
 * back over the second serial port, then powers off; the payload's files and the
 * shared libraries of any dynamic program among them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from '../errors.js';
import { writeCpio, type CpioEntry } from './cpio.js';

/** Lines around the base64 tar stream of /out on the guest's ttyS1. */
export const OUT_BEGIN = 'CR-SHIM-ORACLE-OUT-BEGIN';
export const OUT_END = 'CR-SHIM-ORACLE-OUT-END';

export interface PayloadFile {
  /** File on this machine. */
  src: string;
  /** Name under /payload in the guest. */
  name: string;
}

export interface InitramfsSpec {
  /** A statically linked busybox (Debian's busybox-static: /bin/busybox). */
  busybox: string;
  /** Programs and data, copied to /payload/NAME (mode kept). */
  files: readonly PayloadFile[];
  /** sh script run as `sh /payload/run.sh /out` in /payload; whatever it leaves in /out comes back. */
  script: string;
}

// ttyS0 is the console (kernel messages interleave there); ttyS1 carries only our stream.
// `stty raw` turns off output post-processing (ONLCR) on it; base64 would survive it anyway.
// The status line goes last so the harness can tell a payload that failed from one cut short.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /out /tmp
cd /payload
sh /payload/run.sh /out >/out/payload.stdout 2>/out/payload.stderr
echo $? >/out/payload.status
stty -F /dev/ttyS1 raw -echo 2>/dev/null
{ echo ${OUT_BEGIN}; tar -c -C /out . | base64; echo ${OUT_END}; } >/dev/ttyS1
sync
sleep 1
poweroff -f
`;

/** Shared libraries a dynamic program loads, interpreter included; none for a static one. */
export function libraryClosure(program: string): string[] {
  let text: string;
  try {
    text = execFileSync('ldd', [program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    // ldd exits non-zero with "not a dynamic executable" for static programs.
    return [];
  }
  // LINE ::= NAME " => " PATH " (" ADDR ")" | PATH " (" ADDR ")" | "linux-vdso.so.1 (" ADDR ")"
  const libs = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs].sort();
}

/** The initramfs as a newc cpio archive (uncompressed: the kernel takes it as is). */
export function buildInitramfs(spec: InitramfsSpec): Buffer {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string) => {
    const parts = d.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!dirs.has(p)) {
        dirs.add(p);
        entries.push({ kind: 'dir', name: p });
      }
    }
  };
  const read = (file: string) => {
    try {
      return { data: fs.readFileSync(file), mode: fs.statSync(file).mode & 0o7777 };
    } catch (cause) {
      throw new ShimError('oracle initramfs', `cannot read ${file}`, { cause, code: (cause as NodeJS.ErrnoException).code, hint: 'build or install it first' });
    }
  };
  for (const d of ['bin', 'dev', 'proc', 'sys', 'payload', 'out', 'tmp']) addDir(d);
  // The kernel opens /dev/console for init before devtmpfs is mounted.
  entries.push({ kind: 'chardev', name: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', name: 'init', data: Buffer.from(INIT), mode: 0o755 });
  entries.push({ kind: 'file', name: 'bin/busybox', ...read(spec.busybox) });
  entries.push({ kind: 'file', name: 'payload/run.sh', data: Buffer.from(spec.script), mode: 0o755 });
  const libs = new Set<string>();
  for (const f of spec.files) {
    entries.push({ kind: 'file', name: `payload/${f.name}`, ...read(f.src) });
    for (const lib of libraryClosure(f.src)) libs.add(lib);
  }
  for (const lib of [...libs].sort()) {
    addDir(path.dirname(lib));
    entries.push({ kind: 'file', name: lib.slice(1), ...read(fs.realpathSync(lib)) });
  }
  return writeCpio(entries);
}
