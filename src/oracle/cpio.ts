/*
 * A writer for the cpio "newc" format, the one the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 *   ARCHIVE ::= { ENTRY } TRAILER
 *   ENTRY   ::= HEADER NAME NUL PAD4 DATA PAD4
 *   HEADER  ::= "070701" ino mode uid gid nlink mtime filesize devmajor devminor
 *               rdevmajor rdevminor namesize check      (13 fields, 8 hex digits each)
 *   TRAILER ::= ENTRY named "TRAILER!!!" with all fields zero
 * PAD4 pads with NULs to a multiple of 4 bytes counted from the start of the archive;
 * namesize counts the NUL. Names carry no leading "/". A symlink's DATA is its target.
 */
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export type CpioEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; name: string; target: string }
  | { kind: 'chardev'; name: string; major: number; minor: number; mode?: number };

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

/**
 * The newc archive of the entries, in order (a directory must come before what it holds).
 * Owner root, mtime 0, so the same entries give the same bytes.
 */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const add = (name: string, mode: number, data: Buffer, rdev: [number, number], ino: number) => {
    const nameBuf = Buffer.from(`${name.replace(/^\/+/, '')}\0`);
    const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
    push(Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii'));
    push(nameBuf);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  entries.forEach((e, i) => {
    const ino = i + 1;
    switch (e.kind) {
      case 'dir':
        add(e.name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), [0, 0], ino);
        break;
      case 'file':
        add(e.name, S_IFREG | (e.mode ?? 0o644), e.data, [0, 0], ino);
        break;
      case 'symlink':
        add(e.name, S_IFLNK | 0o777, Buffer.from(e.target), [0, 0], ino);
        break;
      case 'chardev':
        add(e.name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), [e.major, e.minor], ino);
        break;
    }
  });
  add('TRAILER!!!', 0, Buffer.alloc(0), [0, 0], 0);
  return Buffer.concat(parts);
}
