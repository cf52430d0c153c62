/**
 * The sendfile-no-splice handler's ia32 argument layout, on the real kernel without an ia32
 * program (this host boots with 32-bit emulation off): the handler is called in this process
 * with ia32 calls whose descriptors are this process's own (pidfd_getfd of itself) and whose
 * offset pointers point into a fake memory, so what it reads and writes there is checked
 * byte for byte. sendfile (187) takes a 4-byte signed compat_off_t and stops at MAX_NON_LFS;
 * sendfile64 (239) an 8-byte loff_t; counts are 32 bits wide.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sendfileNoSplice } from '../../src/handlers/sendfile-no-splice.js';
import type { Call, Reply } from '../../src/handlers/types.js';
import { E } from '../../src/native/errno.js';
import { sys } from '../../src/native/libc.js';
import { resolvePersona } from '../../src/persona/resolve.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { PAGE_BASE, PageMemory } from '../helpers/page-memory.js';

const BASE = PAGE_BASE;
const PERSONA_CONTEXT = { persona: resolvePersona('4.19', new TableRegistry()) };

const open: number[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) fs.closeSync(fd);
});

/** /proc/self/status (no splice_read), its text as a read gives it, and a pipe to copy into. */
function fixture(): { inFd: number; text: Buffer; rd: number; wr: number } {
  const inFd = fs.openSync('/proc/self/status', 'r');
  const text = fs.readFileSync('/proc/self/status');
  const p = [-1, -1];
  expect(sys.pipe2(p, 0)).toBe(0);
  open.push(inFd, p[0]!, p[1]!);
  return { inFd, text, rd: p[0]!, wr: p[1]! };
}

function call(name: 'sendfile' | 'sendfile64', args: bigint[], mem: PageMemory): Call {
  return { arch: 'ia32', nr: name === 'sendfile' ? 187 : 239, name, pid: process.pid, args, mem, stillValid: () => true };
}

function drain(fd: number, n: number): string {
  const b = Buffer.alloc(n);
  return b.subarray(0, fs.readSync(fd, b, 0, n, null)).toString('latin1');
}

describe('sendfile-no-splice, ia32 layouts (handler in process; no ia32 program can run here)', () => {
  it('sendfile (187): reads and writes back a 4-byte offset, the next 4 bytes untouched; the file position stays', () => {
    const { inFd, text, rd, wr } = fixture();
    const mem = new PageMemory();
    mem.page.writeInt32LE(4, 0);
    const r: Reply = sendfileNoSplice.handle(call('sendfile', [BigInt(wr), BigInt(inFd), BASE, 6n], mem), PERSONA_CONTEXT);
    expect(r).toEqual({ kind: 'return', val: 6n });
    expect(drain(rd, 6)).toBe(text.subarray(4, 10).toString('latin1'));
    expect(mem.page.readInt32LE(0)).toBe(10);
    expect(mem.page.readUInt32LE(4)).toBe(0xeeeeeeee);
    expect(sys.lseek(inFd, 0, 1)).toBe(0);
  });

  it('sendfile (187): a negative 32-bit offset is EINVAL (read as 8 bytes it would be positive)', () => {
    const { inFd, wr } = fixture();
    const mem = new PageMemory();
    mem.page.writeInt32LE(-1, 0);
    mem.page.writeInt32LE(0, 4);
    expect(sendfileNoSplice.handle(call('sendfile', [BigInt(wr), BigInt(inFd), BASE, 6n], mem), PERSONA_CONTEXT)).toEqual({ kind: 'error', errno: E.EINVAL });
  });

  it('sendfile (187): at MAX_NON_LFS EOVERFLOW; below it the count is cut and EOF answers 0', () => {
    const { inFd, wr } = fixture();
    const mem = new PageMemory();
    mem.page.writeInt32LE(0x7fffffff, 0);
    expect(sendfileNoSplice.handle(call('sendfile', [BigInt(wr), BigInt(inFd), BASE, 6n], mem), PERSONA_CONTEXT)).toEqual({ kind: 'error', errno: E.EOVERFLOW });
    mem.page.writeInt32LE(0x7ffffffe, 0);
    expect(sendfileNoSplice.handle(call('sendfile', [BigInt(wr), BigInt(inFd), BASE, 6n], mem), PERSONA_CONTEXT)).toEqual({ kind: 'return', val: 0n });
    expect(mem.page.readInt32LE(0)).toBe(0x7ffffffe);
  });

  it('sendfile (187) without an offset: from the file position, which advances', () => {
    const { inFd, text, rd, wr } = fixture();
    const r = sendfileNoSplice.handle(call('sendfile', [BigInt(wr), BigInt(inFd), 0n, 8n], new PageMemory()), PERSONA_CONTEXT);
    expect(r).toEqual({ kind: 'return', val: 8n });
    expect(drain(rd, 8)).toBe(text.subarray(0, 8).toString('latin1'));
    expect(sys.lseek(inFd, 0, 1)).toBe(8);
  });

  it('sendfile64 (239): an 8-byte loff_t offset, read and written whole', () => {
    const { inFd, text, rd, wr } = fixture();
    const mem = new PageMemory();
    mem.page.writeBigInt64LE(3n, 0);
    const r = sendfileNoSplice.handle(call('sendfile64', [BigInt(wr), BigInt(inFd), BASE, 5n], mem), PERSONA_CONTEXT);
    expect(r).toEqual({ kind: 'return', val: 5n });
    expect(drain(rd, 5)).toBe(text.subarray(3, 8).toString('latin1'));
    expect(mem.page.readBigInt64LE(0)).toBe(8n);
  });

  it('a count is 32 bits wide on ia32: 2^32 is a zero count, left to the kernel', () => {
    const { inFd, wr } = fixture();
    expect(sendfileNoSplice.handle(call('sendfile64', [BigInt(wr), BigInt(inFd), 0n, 1n << 32n], new PageMemory()), PERSONA_CONTEXT)).toEqual({ kind: 'continue' });
  });
});
