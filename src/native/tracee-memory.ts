/**
 * Reading and writing a supervised task's memory with process_vm_readv/writev.
 * Unlike /proc/PID/mem these honour page protections, so a write to a read-only
 * page fails exactly where the kernel's copy_to_user would: the caller answers EFAULT.
 */
import { sys } from './libc.js';

export class TraceeMemory {
  constructor(readonly pid: number) {}

  /** Read len bytes at addr; null if any byte is unreadable (the kernel would say EFAULT). */
  read(addr: bigint, len: number): Buffer | null {
    if (len === 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(len);
    const n = sys.process_vm_readv(this.pid, { base: buf, len }, 1, { base: addr, len }, 1, 0);
    return n === len ? buf : null;
  }

  /** Write buf at addr; false if any byte could not be written. */
  write(addr: bigint, buf: Uint8Array): boolean {
    if (buf.length === 0) return true;
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
    const n = sys.process_vm_writev(this.pid, { base: b, len: b.length }, 1, { base: addr, len: b.length }, 1, 0);
    return n === b.length;
  }

  /**
   * Read a NUL-terminated string of at most max bytes (PATH_MAX for paths).
   * Reads page by page so a string that ends just before an unmapped page is still read.
   * Returns null when unreadable before the NUL, 'toolong' past max.
   */
  readString(addr: bigint, max = 4096): string | null | 'toolong' {
    const parts: Buffer[] = [];
    let total = 0;
    let p = addr;
    while (total < max) {
      const toPage = 4096 - Number(p & 4095n);
      const chunk = this.read(p, Math.min(toPage, max - total));
      if (chunk === null) return null;
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(chunk);
      total += chunk.length;
      p += BigInt(chunk.length);
    }
    return 'toolong';
  }

  readU32(addr: bigint): number | null {
    const b = this.read(addr, 4);
    return b === null ? null : b.readUInt32LE(0);
  }

  readI32(addr: bigint): number | null {
    const b = this.read(addr, 4);
    return b === null ? null : b.readInt32LE(0);
  }

  /** A pointer-sized word of the tracee's ABI (8 bytes on x86_64, 4 on ia32). */
  readWord(addr: bigint, wordSize: 4 | 8): bigint | null {
    const b = this.read(addr, wordSize);
    if (b === null) return null;
    return wordSize === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
  }

  writeWord(addr: bigint, value: bigint, wordSize: 4 | 8): boolean {
    const b = Buffer.alloc(wordSize);
    if (wordSize === 8) b.writeBigUInt64LE(BigInt.asUintN(64, value));
    else b.writeUInt32LE(Number(BigInt.asUintN(32, value)));
    return this.write(addr, b);
  }
}
