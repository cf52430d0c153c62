// The verdict table's binary form (docs/FRONT.md, "Verdict tables"; native/notify-core.c
// nc_table_encode / nc_table_decode) through the addon: encodeActions writes the layout the
// document gives, setEncodedActions refuses every damaged table with the fault named, and
// holdNotification hands a notification to the next recv. The shared verdict cases run
// through the binary form on the real kernel in verdict-cases.test.ts.
import { closeSync, openSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { NativeKind, type NativeAction, type NotifyHandle } from '../../src/native/addon-types.js';
import { loadAddon } from '../../src/native/addon.js';
import { launchUnderFilter, type LaunchedChild } from '../../src/native/launcher.js';
import { buildProbe, notifyFilter, RecvWorker } from './fixtures/harness.js';

const addon = loadAddon();
const X86_64 = AUDIT_ARCH.x86_64;
// x86_64 syscall numbers, for the hand-written filter and the rows.
const NR = { getppid: 110, uname: 63, openat: 257 } as const;

/** Hex with spaces between fields, for rows a reader can check against the grammar. */
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s).toString('hex');
/** TABLE ::= AUDIT_ARCH:u32 COUNT:u32 ENTRY[COUNT], for x86_64. */
const table = (count: string, ...entries: string[]): string => `3e0000c0 ${count} ${entries.join(' ')}`;

/** Tables and the bytes encodeActions must write for them: the layout as data. */
const LAYOUT: { name: string; actions: NativeAction[]; bytes: string }[] = [
  { name: 'no verdicts', actions: [], bytes: table('00000000') },
  { name: 'defer is the absence of an entry', actions: [{ nr: 1, kind: NativeKind.defer }], bytes: table('00000000') },
  { name: 'continue', actions: [{ nr: 39, kind: NativeKind.continue }], bytes: table('01000000', '2700 01 00') },
  { name: 'forgetTask', actions: [{ nr: 1, kind: NativeKind.forgetTask }], bytes: table('01000000', '0100 06 00') },
  { name: 'errno', actions: [{ nr: NR.getppid, kind: NativeKind.errno, errno: 1 }], bytes: table('01000000', '6e00 02 00 01000000') },
  {
    name: 'writeArg',
    actions: [{ nr: NR.uname, kind: NativeKind.writeArg, arg: 2, bytes: Buffer.from('ab'), val: -1 }],
    bytes: table('01000000', `3f00 03 02 ffffffffffffffff 02000000 ${ascii('ab')}`),
  },
  {
    name: 'uname (7 fields of 2 bytes)',
    actions: [{ nr: NR.uname, kind: NativeKind.uname, arg: 0, bytes: Buffer.from('L\0n\0r\0v\0m\0R\0M\0'), width: 2, val: 0 }],
    bytes: table('01000000', `3f00 05 00 0000000000000000 0e000000 ${ascii('L\0n\0r\0v\0m\0R\0M\0')} 02000000`),
  },
  {
    name: 'pathWatch',
    actions: [{ nr: NR.openat, kind: NativeKind.pathWatch, arg: 1, names: ['version', ''] }],
    bytes: table('01000000', `0101 04 01 00000000 00 02000000 07000000 ${ascii('version')} 00000000`),
  },
  {
    name: 'pathWatch on statx',
    actions: [{ nr: 332, kind: NativeKind.pathWatch, arg: 1, names: [], statxDrop: 0x2000, statxBtimeTmpfs: true }],
    bytes: table('01000000', '4c01 04 01 00200000 01 00000000'),
  },
  {
    name: 'openIdentity with its files bind-mounted (no entries)',
    actions: [{ nr: NR.openat, kind: NativeKind.openIdentity, arg: 1, identity: [], directEinval: true, openat2Accept: 0x4000000 }],
    bytes: table('01000000', '0101 07 01 01 00000004'),
  },
  {
    name: 'execVdso',
    actions: [{ nr: 59, kind: NativeKind.execVdso, val: 0x050a00, helper: '/x', readImpliesExec: true }],
    bytes: table('01000000', `3b00 08 01 000a0500 02000000 ${ascii('/x')}`),
  },
  {
    name: 'enterStrict',
    actions: [{ nr: 317, kind: NativeKind.enterStrict, arg: 1, helper: '/s' }],
    bytes: table('01000000', `3d01 09 01 02000000 ${ascii('/s')}`),
  },
  { name: 'statxPersona', actions: [{ nr: 332, kind: NativeKind.statxPersona, arg: 1, val: 0x800 }], bytes: table('01000000', '4c01 0a 01 00080000') },
  {
    name: 'entries in increasing nr, whatever the order given',
    actions: [
      { nr: 4095, kind: NativeKind.continue },
      { nr: 0, kind: NativeKind.errno, errno: 4095 },
    ],
    bytes: table('02000000', '0000 02 00 ff0f0000', 'ff0f 01 00'),
  },
];

const MIB = 1 << 20;
const le32 = (n: number): string => Buffer.from(Uint32Array.of(n).buffer).toString('hex');

/** Damaged tables and the fault setEncodedActions must name. */
const DAMAGED: { name: string; bytes: string; fault: string }[] = [
  { name: 'empty', bytes: '', fault: 'truncated' },
  { name: 'header cut short', bytes: '3e0000c0 0100', fault: 'truncated' },
  { name: 'an entry promised, none there', bytes: table('01000000'), fault: 'truncated' },
  { name: 'entry header cut short', bytes: table('01000000', '6e00 02'), fault: 'truncated' },
  { name: 'errno body cut short', bytes: table('01000000', '6e00 02 00 0100'), fault: 'truncated' },
  { name: 'more entries than syscall numbers', bytes: table(le32(4097)), fault: 'more entries than syscall numbers' },
  { name: 'nr 4096', bytes: table('01000000', '0010 01 00'), fault: 'nr out of range' },
  { name: 'an nr given twice', bytes: table('02000000', '2700 01 00', '2700 01 00'), fault: 'entries out of order, or an nr given twice' },
  { name: 'entries out of order', bytes: table('02000000', '2800 01 00', '2700 01 00'), fault: 'entries out of order, or an nr given twice' },
  { name: 'kind 0 (defer is never written)', bytes: table('01000000', '2700 00 00'), fault: 'unknown kind' },
  { name: 'kind 11', bytes: table('01000000', '2700 0b 00'), fault: 'unknown kind' },
  { name: 'continue with an arg', bytes: table('01000000', '2700 01 01'), fault: 'arg must be 0' },
  { name: 'errno 0', bytes: table('01000000', '6e00 02 00 00000000'), fault: 'errno out of range 1..4095' },
  { name: 'errno 4096', bytes: table('01000000', '6e00 02 00 00100000'), fault: 'errno out of range 1..4095' },
  { name: 'writeArg arg 6', bytes: table('01000000', `3f00 03 06 0000000000000000 01000000 61`), fault: 'arg out of range 0..5' },
  { name: 'writeArg of no bytes', bytes: table('01000000', `3f00 03 00 0000000000000000 00000000`), fault: 'bytes must be 1..1MiB' },
  { name: 'writeArg of 1 MiB + 1', bytes: table('01000000', `3f00 03 00 0000000000000000 ${le32(MIB + 1)}`), fault: 'bytes must be 1..1MiB' },
  { name: 'writeArg bytes cut short', bytes: table('01000000', `3f00 03 00 0000000000000000 03000000 6162`), fault: 'truncated' },
  {
    name: 'uname width 1',
    bytes: table('01000000', `3f00 05 00 0000000000000000 07000000 ${'61'.repeat(7)} 01000000`),
    fault: 'uname bytes must be 5 or 6 fields of width, plus 2',
  },
  {
    name: 'uname of 9 fields',
    bytes: table('01000000', `3f00 05 00 0000000000000000 12000000 ${'61'.repeat(18)} 02000000`),
    fault: 'uname bytes must be 5 or 6 fields of width, plus 2',
  },
  {
    name: 'uname width wider than a utsname field',
    bytes: table('01000000', `3f00 05 00 0000000000000000 ${le32(66 * 7)} ${'61'.repeat(66 * 7)} ${le32(66)}`),
    fault: 'uname bytes must be 5 or 6 fields of width, plus 2',
  },
  { name: 'pathWatch arg 6', bytes: table('01000000', '0101 04 06 00000000 00 00000000'), fault: 'arg out of range 0..5' },
  { name: 'pathWatch statxBtimeTmpfs 2', bytes: table('01000000', '0101 04 01 00000000 02 00000000'), fault: 'statxBtimeTmpfs must be 0 or 1' },
  { name: 'pathWatch name holding a NUL', bytes: table('01000000', `0101 04 01 00000000 00 01000000 03000000 610062`), fault: 'names must be strings without NUL' },
  { name: 'pathWatch name of PATH_MAX bytes', bytes: table('01000000', `0101 04 01 00000000 00 01000000 ${le32(4096)} ${'61'.repeat(4096)}`), fault: 'names must be strings without NUL' },
  { name: 'pathWatch promising more names than bytes', bytes: table('01000000', '0101 04 01 00000000 00 ffffffff'), fault: 'names count exceeds the bytes left' },
  { name: 'openIdentity form 3', bytes: table('01000000', '0101 07 03 00 00000000'), fault: 'arg out of range 0..2' },
  { name: 'openIdentity directEinval 2', bytes: table('01000000', '0101 07 01 02 00000000'), fault: 'directEinval must be 0 or 1' },
  { name: 'execVdso readImpliesExec 2', bytes: table('01000000', `3b00 08 02 000a0500 02000000 ${ascii('/x')}`), fault: 'readImpliesExec must be 0 or 1' },
  { name: 'execVdso without a helper', bytes: table('01000000', '3b00 08 00 000a0500 00000000'), fault: 'helper must be a path' },
  { name: 'enterStrict form 2', bytes: table('01000000', `3d01 09 02 02000000 ${ascii('/s')}`), fault: 'arg out of range 0..1' },
  { name: 'enterStrict helper holding a NUL', bytes: table('01000000', `3d01 09 00 02000000 2f00`), fault: 'helper must be a path' },
  { name: 'statxPersona arg 2', bytes: table('01000000', '4c01 0a 02 00080000'), fault: 'statxPersona: arg 0 or 1' },
  { name: 'a trailing byte', bytes: `${table('01000000', '2700 01 00')} 00`, fault: 'trailing bytes' },
];

let probe: string;
beforeAll(() => {
  probe = buildProbe();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * probe making getppid(1, 2, 3, 4, 5, 6), trapped: its notification waits until answered.
 * `beforeExec` gets the loop before the program runs.
 */
async function trappedGetppid(beforeExec: (handle: NotifyHandle) => void = () => {}): Promise<{ child: LaunchedChild; handle: NotifyHandle; stdout: Promise<string> }> {
  let handle = -1;
  const launched = await launchUnderFilter(probe, [String(NR.getppid), '1', '2', '3', '4', '5', '6'], notifyFilter([NR.getppid]), {
    stdio: ['ignore', 'pipe', 'inherit'],
    beforeExec: (fd) => {
      handle = addon.open(fd);
      beforeExec(handle);
    },
  });
  const { child } = launched;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const stdout = new Promise<string>((resolve) => child.stdout!.on('close', () => resolve(out)));
  cleanups.push(() => {
    child.kill('SIGKILL');
    addon.close(handle);
  });
  expect(await launched.exec).toBeNull();
  return { child, handle, stdout };
}

describe('encodeActions', () => {
  it.each(LAYOUT.map((r) => [r.name, r] as const))('%s: the layout of docs/FRONT.md', (_, r) => {
    expect(Buffer.from(addon.encodeActions(X86_64, r.actions)).toString('hex')).toBe(Buffer.from(hex(r.bytes)).toString('hex'));
  });

  it('parses as setActions does: the same fault, named as encodeActions', () => {
    expect(() => addon.encodeActions(X86_64, [{ nr: NR.getppid, kind: NativeKind.errno, errno: 0 }])).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: 'cr_shim_notify encodeActions: action 0: errno out of range 1..4095' }),
    );
    expect(() => addon.encodeActions(X86_64, [{ nr: 4096, kind: NativeKind.continue }])).toThrow(RangeError);
  });

  it('refuses an openIdentity verdict holding memfds (ENOTSUP): they live in this process only', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      const actions = [{ nr: NR.openat, kind: NativeKind.openIdentity, arg: 1, identity: [{ path: 'proc/version', fd }] }];
      expect(() => addon.encodeActions(X86_64, actions)).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    } finally {
      closeSync(fd);
    }
  });
});

describe('setEncodedActions', () => {
  it('publishes every table of the layout rows, and answers from it', async () => {
    const r = await trappedGetppid((h) => {
      for (const row of LAYOUT) addon.setEncodedActions(h, hex(row.bytes));
      // The last one published for x86_64 answers: errno EPERM for getppid.
      addon.setEncodedActions(h, hex(table('01000000', '6e00 02 00 01000000')));
    });
    addon.watch(r.handle, () => {});
    expect(await r.stdout).toBe('ret=-1 errno=1\n');
    expect(addon.stats(r.handle)).toEqual([{ arch: X86_64, nr: NR.getppid, count: 1, totalNs: expect.any(Number) }]);
  });

  it.each(DAMAGED.map((r) => [r.name, r] as const))('refuses %s', async (_, r) => {
    const { handle } = await trappedGetppid();
    expect(() => addon.setEncodedActions(handle, hex(r.bytes))).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'EINVAL', message: expect.stringContaining(`cr_shim_notify setEncodedActions: ${r.fault}`) }),
    );
  });
});

/** struct seccomp_notif (80 bytes): id, pid, flags, then struct seccomp_data (nr, arch, instruction_pointer, args[6]). */
function notifBytes(n: { id: bigint; pid: number; nr: number; arch: number; ip: bigint; args: bigint[] }): Uint8Array {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(n.id, 0);
  b.writeUInt32LE(n.pid, 8);
  b.writeUInt32LE(0, 12);
  b.writeInt32LE(n.nr, 16);
  b.writeUInt32LE(n.arch, 20);
  b.writeBigUInt64LE(n.ip, 24);
  n.args.forEach((a, i) => b.writeBigUInt64LE(a, 32 + 8 * i));
  return b;
}

describe('holdNotification', () => {
  it('makes the next recv return the held notification first, then the loop goes on', async () => {
    const held = { id: 0x1234_5678_9abc_def0n, pid: 4242, nr: 999, arch: X86_64, ip: 0x401000n, args: [7n, 8n, 9n, 10n, 11n, 0xffff_ffff_ffff_ffffn] };
    const r = await trappedGetppid((h) => addon.holdNotification(h, notifBytes(held), 123_456_789n));
    const worker = new RecvWorker(r.handle);
    cleanups.push(() => worker.terminate());
    const first = (await worker.next())!;
    expect(first).toEqual({
      handle: r.handle,
      id: held.id,
      pid: held.pid,
      flags: 0,
      nr: held.nr,
      arch: held.arch,
      instructionPointer: held.ip,
      args: held.args,
      receivedNs: 123_456_789n,
    });
    const real = (await worker.next())!;
    expect(real).toMatchObject({ nr: NR.getppid, pid: r.child.pid, args: [1n, 2n, 3n, 4n, 5n, 6n] });
    expect(addon.respond(real.handle, real.id, 77n, 0, 0)).toBe(0);
    expect(await r.stdout).toBe('ret=77 errno=0\n');
  });

  it('refuses fewer than 80 bytes and more than the kernel writes', async () => {
    const { handle } = await trappedGetppid();
    for (const size of [0, 79, 4096])
      expect(() => addon.holdNotification(handle, new Uint8Array(size))).toThrow(expect.objectContaining({ name: 'RangeError', code: 'EINVAL' }));
  });
});
