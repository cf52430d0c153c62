// The kernel version a vDSO carries: synthetic ELF files as data (cases/vdso-notes.json), and this machine's own vDSO.
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { vdsoVersionCode, type VersionCode } from '../../src/criu/image/vdso-note.js';
import { liveVdsoVersion } from '../helpers/live-vdso.js';

interface Note {
  name: string;
  type: number;
  desc: number[];
}
interface Row {
  why: string;
  notes: Note[] | null;
  expect: VersionCode | null;
}

const ROWS = (JSON.parse(fs.readFileSync(new URL('./cases/vdso-notes.json', import.meta.url), 'utf8')) as { rows: Row[] }).rows;

const pad4 = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

/** An ELF64 little-endian file: header, one PT_LOAD, one PT_NOTE holding `notes` (u32 descriptors). */
function elf(notes: Note[]): Buffer {
  const body = Buffer.concat(
    notes.map((n) => {
      const name = Buffer.from(`${n.name}\0`, 'latin1');
      const desc = Buffer.alloc(n.desc.length * 4);
      n.desc.forEach((d, i) => desc.writeUInt32LE(d, i * 4));
      const head = Buffer.alloc(12);
      head.writeUInt32LE(name.length, 0);
      head.writeUInt32LE(desc.length, 4);
      head.writeUInt32LE(n.type, 8);
      return Buffer.concat([head, pad4(name), pad4(desc)]);
    }),
  );
  const ehdr = Buffer.alloc(64);
  ehdr.writeUInt32LE(0x464c457f, 0);
  ehdr[4] = 2; // ELFCLASS64
  ehdr[5] = 1; // little-endian
  ehdr.writeBigUInt64LE(64n, 0x20); // e_phoff
  ehdr.writeUInt16LE(56, 0x36); // e_phentsize
  ehdr.writeUInt16LE(2, 0x38); // e_phnum
  const load = Buffer.alloc(56);
  load.writeUInt32LE(1, 0); // PT_LOAD
  const note = Buffer.alloc(56);
  note.writeUInt32LE(4, 0); // PT_NOTE
  note.writeBigUInt64LE(BigInt(64 + 2 * 56), 8);
  note.writeBigUInt64LE(BigInt(body.length), 32);
  return Buffer.concat([ehdr, load, note, body]);
}

describe('vdsoVersionCode', () => {
  it.each(ROWS)('$why', (row) => {
    const bytes = row.notes === null ? Buffer.from('#!/bin/sh\necho not an elf file, but long enough to have a header\n') : elf(row.notes);
    expect(vdsoVersionCode(bytes) ?? null).toEqual(row.expect);
  });

  it("this machine's vDSO: the kernel's own major and minor", () => {
    const live = liveVdsoVersion();
    const [major, minor] = os.release().split(/[.-]/).map(Number);
    expect(live.release.split('.').slice(0, 2).map(Number)).toEqual([major, minor]);
  });
});
