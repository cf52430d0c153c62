/*
 * The kernel version a vDSO carries (arch/x86/entry/vdso, include/linux/elfnote.h):
 *
 *   vDSO    ::= ELF64 header, program headers at e_phoff (e_phnum of e_phentsize bytes)
 *   PT_NOTE ::= { NOTE }                        at p_offset, p_filesz bytes
 *   NOTE    ::= namesz:u32 descsz:u32 type:u32 name (padded to 4) desc (padded to 4)
 *
 * The note named "Linux" of type 0 (ELF_NOTE_LINUX_VERSION... in the kernel's vdso note.S)
 * holds LINUX_VERSION_CODE: (major << 16) | (minor << 8) | min(sublevel, 255). A second
 * "Linux" note (type 256, the build-id salt) holds a build string that need not match the
 * kernel's release, so it is not read. Neither says the distribution's release suffix.
 */

const ELF_MAGIC = 0x464c457f; // "\x7fELF", little-endian
const ELFCLASS64 = 2;
const PT_NOTE = 4;
const NOTE_LINUX_VERSION = 0;

/** Where a vDSO's kernel version came from, and what it is. */
export interface VersionCode {
  code: number;
  /** "MAJOR.MINOR.SUBLEVEL" (SUBLEVEL saturates at 255). */
  release: string;
}

export function releaseOfCode(code: number): string {
  return `${(code >>> 16) & 0xff}.${(code >>> 8) & 0xff}.${code & 0xff}`;
}

/** LINUX_VERSION_CODE from a little-endian ELF64 vDSO, or undefined when it holds no such note. Never throws. */
export function vdsoVersionCode(elf: Buffer): VersionCode | undefined {
  if (elf.length < 64 || elf.readUInt32LE(0) !== ELF_MAGIC || elf[4] !== ELFCLASS64 || elf[5] !== 1) return undefined;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== PT_NOTE) continue;
    const start = Number(elf.readBigUInt64LE(ph + 8));
    const end = Math.min(start + Number(elf.readBigUInt64LE(ph + 32)), elf.length);
    for (let at = start; at + 12 <= end; ) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const nameAt = at + 12;
      const descAt = nameAt + align4(namesz);
      if (descAt + descsz > end) break;
      const name = elf.subarray(nameAt, nameAt + namesz).toString('latin1').replace(/\0+$/, '');
      if (name === 'Linux' && type === NOTE_LINUX_VERSION && descsz >= 4) {
        const code = elf.readUInt32LE(descAt);
        return { code, release: releaseOfCode(code) };
      }
      at = descAt + align4(descsz);
    }
  }
  return undefined;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
