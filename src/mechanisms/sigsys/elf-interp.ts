/**
 * Does an executable name a dynamic loader (PT_INTERP)? LD_PRELOAD works only
 * through the loader, so a statically linked program would run without the
 * SIGSYS mechanism's library, and unfiltered.
 *
 *   Elf64_Ehdr: e_ident[16] ("\x7fELF", class 2 = 64-bit) ... e_phoff u64 @32,
 *               e_phentsize u16 @54, e_phnum u16 @56
 *   Elf64_Phdr: p_type u32 @0 (PT_INTERP = 3), e_phentsize bytes each
 * (Elf32: e_phoff u32 @28, e_phentsize u16 @42, e_phnum u16 @44.)
 */
import fs from 'node:fs';
import path from 'node:path';

const PT_INTERP = 3;

/** The file execvp would run for `program`, or undefined when PATH has none. */
export function resolveProgram(program: string, envPath = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  if (program.includes('/')) return fs.existsSync(program) ? program : undefined;
  for (const dir of envPath.split(':')) {
    const f = path.join(dir || '.', program);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** 'dynamic' (has PT_INTERP), 'static' (an ELF file without), or 'other' (a script, or unreadable). */
export function linkage(file: string): 'dynamic' | 'static' | 'other' {
  let b: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      b = Buffer.alloc(4096);
      b = b.subarray(0, fs.readSync(fd, b, 0, b.length, 0));
      const is64 = b[4] === 2;
      if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return 'other';
      const phoff = is64 ? Number(b.readBigUInt64LE(32)) : b.readUInt32LE(28);
      const phentsize = b.readUInt16LE(is64 ? 54 : 42);
      const phnum = b.readUInt16LE(is64 ? 56 : 44);
      const table = Buffer.alloc(phentsize * phnum);
      fs.readSync(fd, table, 0, table.length, phoff);
      for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === PT_INTERP) return 'dynamic';
      return 'static';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return 'other';
  }
}
