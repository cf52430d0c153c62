/**
 * The LINUX_VERSION_CODE of the running kernel, read the way cr-shim reads an image's: from the
 * "Linux" note of a vDSO, here this test process's own ([vdso] in /proc/self/maps, its bytes
 * from /proc/self/mem). Tests compare an image's inferred kernel with it, never with a
 * committed build string.
 */
import fs from 'node:fs';
import { vdsoVersionCode, type VersionCode } from '../../src/criu/image/vdso-note.js';

export function liveVdsoVersion(): VersionCode {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[vdso]'));
  if (line === undefined) throw new Error('this process has no [vdso] mapping');
  const [start, end] = line.split(' ')[0]!.split('-').map((h) => parseInt(h, 16)) as [number, number];
  const buf = Buffer.alloc(end - start);
  const fd = fs.openSync('/proc/self/mem', 'r');
  try {
    fs.readSync(fd, buf, 0, buf.length, start);
  } finally {
    fs.closeSync(fd);
  }
  const v = vdsoVersionCode(buf);
  if (v === undefined) throw new Error('the live vDSO has no "Linux" version note');
  return v;
}
