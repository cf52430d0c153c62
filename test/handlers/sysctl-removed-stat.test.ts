/**
 * The sysctl-removed-stat handler's answers, byte for byte, on both ABIs: the handler is called in
 * this process (the "task" is this process: its cwd, its descriptors, its root), with paths and
 * buffers in a fake memory page, so the layouts are checked without an ia32 program (this host
 * boots with 32-bit emulation off). Rows as data: cases/sysctl-removed-stat.json. The x86_64
 * answers are also checked with real programs (stat, sysctl, test) in sysctl-removed.test.ts.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arch } from '../../src/arch.js';
import { sysctlRemovedStat } from '../../src/handlers/sysctl-removed-stat.js';
import type { Call, Reply } from '../../src/handlers/types.js';
import { errnoName } from '../../src/native/errno.js';
import { resolvePersona } from '../../src/persona/resolve.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { PAGE_BASE, PageMemory } from '../helpers/page-memory.js';

interface Row {
  arch: Arch;
  persona: string;
  call: string;
  /** Arguments: "PATH" (the path string's address), "DIRFD" (an fd of /proc/sys/net/ipv4), "BUF", or a number. */
  args: string[];
  path: string;
  expect: string;
  /** Little-endian fields of the buffer after the call: [offset, size in bytes, expected value]. */
  fields?: [number, 2 | 4 | 8, string][];
  why: string;
}
const { rows } = JSON.parse(fs.readFileSync(new URL('./cases/sysctl-removed-stat.json', import.meta.url), 'utf8')) as { rows: Row[] };

const registry = new TableRegistry();
const BUF = 1024;
let dirfd: number;
beforeAll(() => {
  dirfd = fs.openSync('/proc/sys/net/ipv4', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
});
afterAll(() => fs.closeSync(dirfd));

function show(r: Reply): string {
  return r.kind === 'return' ? `return ${r.val}` : r.kind === 'error' ? errnoName(r.errno) : r.kind;
}

/** The kernel's new_encode_dev() of this host's /proc/sys device, as st_dev carries it. */
function procSysDev(): bigint {
  const d = BigInt(fs.statSync('/proc/sys').dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return (minor & 0xffn) | (major << 8n) | ((minor & ~0xffn) << 12n);
}

describe('sysctl-removed-stat in process (cases/sysctl-removed-stat.json)', () => {
  it.each(rows)('$arch $persona $call($path) → $expect ($why)', (row) => {
    const mem = new PageMemory();
    const pathAddr = mem.string(0, row.path);
    const arg = (a: string): bigint => (a === 'PATH' ? pathAddr : a === 'DIRFD' ? BigInt(dirfd) : a === 'BUF' ? PAGE_BASE + BigInt(BUF) : BigInt(a));
    mem.page.fill(0xee, BUF);
    const call: Call = { arch: row.arch, nr: 0, name: row.call, pid: process.pid, args: row.args.map(arg), mem, stillValid: () => true };
    const r = sysctlRemovedStat.handle(call, { persona: resolvePersona(row.persona, registry) });
    expect(show(r)).toBe(row.expect);
    for (const [off, size, want] of row.fields ?? []) {
      const at = BUF + off;
      const got = size === 2 ? BigInt(mem.page.readUInt16LE(at)) : size === 4 ? BigInt(mem.page.readUInt32LE(at)) : mem.page.readBigUInt64LE(at);
      expect(got, `${row.call} field @${off}`).toBe(want === 'PROC_SYS_DEV' ? procSysDev() : BigInt(want));
    }
  });
});
