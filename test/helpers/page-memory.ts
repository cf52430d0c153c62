/**
 * A task memory of one page at PAGE_BASE, for calling a handler in this process: what the
 * handler reads and writes through Call.mem lands in `page`, where a test can see it byte for byte.
 */
import { TraceeMemory } from '../../src/native/tracee-memory.js';

export const PAGE_BASE = 0x10000n;

export class PageMemory extends TraceeMemory {
  readonly page = Buffer.alloc(4096, 0xee);
  constructor() {
    super(process.pid);
  }
  override read(addr: bigint, len: number): Buffer | null {
    const off = Number(addr - PAGE_BASE);
    return off < 0 || off + len > this.page.length ? null : Buffer.from(this.page.subarray(off, off + len));
  }
  override write(addr: bigint, buf: Uint8Array): boolean {
    const off = Number(addr - PAGE_BASE);
    if (off < 0 || off + buf.length > this.page.length) return false;
    this.page.set(buf, off);
    return true;
  }
  /** Put a NUL-terminated string at `off` and return its address. */
  string(off: number, s: string): bigint {
    this.page.write(s + '\0', off, 'utf8');
    return PAGE_BASE + BigInt(off);
  }
}
