/**
 * Small CRIU image directories built from scratch, for conversions CRIU is slow or unable to
 * produce on demand (several processes each with a copy of cr-shim's filter). Only the images
 * cr-shim reads: inventory, pstree, core-TID (mtype, thread_core: pdeath_sig, creds, seccomp)
 * and seccomp, with field numbers as in src/criu/image/*.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { serializeImage } from '../../../src/criu/image/image-file.js';
import { bytesField, varintField, WireMessage } from '../../../src/criu/image/protobuf-wire.js';
import { newFilter, serializeSeccomp } from '../../../src/criu/image/seccomp.js';
import { filterSha256 } from '../../../src/criu/supervised-record.js';
import { writeManifest, type Manifest } from '../../../src/criu/manifest.js';

export interface SyntheticThread {
  tid: number;
  seccomp?: { mode: number; filter?: number };
  pdeathSig?: number;
  /** Permitted, effective and bounding sets (inheritable and ambient empty). */
  caps: bigint;
}

export interface SyntheticImage {
  processes: { pid: number; threads: SyntheticThread[] }[];
  filters: { insns: Buffer; prev?: number }[];
  manifest?: Partial<Manifest>;
}

const words = (no: number, mask: bigint) => [varintField(no, Number(mask & 0xffff_ffffn)), varintField(no, Number((mask >> 32n) & 0xffff_ffffn))];

function core(t: SyntheticThread): Buffer {
  const creds = new WireMessage([
    ...[1, 2, 3, 4, 5, 6, 7, 8].map((no) => varintField(no, 0)),
    ...words(9, 0n), ...words(10, t.caps), ...words(11, t.caps), ...words(12, t.caps),
    varintField(13, 0),
    ...words(19, 0n),
  ]);
  const thread = new WireMessage([varintField(1, 0), varintField(2, 0)]);
  if (t.pdeathSig !== undefined) thread.fields.push(varintField(8, t.pdeathSig));
  thread.fields.push(bytesField(10, creds.encode()));
  if (t.seccomp && t.seccomp.mode !== 0) {
    thread.fields.push(varintField(11, t.seccomp.mode));
    if (t.seccomp.filter !== undefined) thread.fields.push(varintField(12, t.seccomp.filter));
  }
  const entry = new WireMessage([varintField(1, 1), bytesField(5, thread.encode())]);
  return serializeImage({ kind: 'core', entries: [entry.encode()] });
}

export function writeSyntheticImage(dir: string, img: SyntheticImage): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'inventory.img'), serializeImage({ kind: 'inventory', entries: [new WireMessage([varintField(1, 2)]).encode()] }));
  const pstree = img.processes.map((p) =>
    new WireMessage([varintField(1, p.pid), varintField(2, 0), varintField(3, p.pid), varintField(4, p.pid), ...p.threads.map((t) => varintField(5, t.tid))]).encode(),
  );
  fs.writeFileSync(path.join(dir, 'pstree.img'), serializeImage({ kind: 'pstree', entries: pstree }));
  for (const p of img.processes) for (const t of p.threads) fs.writeFileSync(path.join(dir, `core-${t.tid}.img`), core(t));
  fs.writeFileSync(path.join(dir, 'seccomp.img'), serializeSeccomp(img.filters.map((f) => newFilter(f.insns, f.prev, 0))));
  if (img.manifest) {
    writeManifest(dir, {
      schema: 1,
      kernel: { release: '6.1.0-56-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.140-1', mainline: '6.1' },
      arch: 'x86_64',
      crShim: { version: '0.1.0' },
      criu: { version: '4.1.1' },
      time: '2026-11-27T08:00:00.000Z',
      ...img.manifest,
    });
  }
}

/** A manifest part naming `insns` as cr-shim's filter at `index`. */
export function shimManifest(insns: Buffer, index: number, root?: number): Partial<Manifest> {
  return {
    persona: { release: '4.19', mainline: '4.19' },
    shimFilter: { index, sha256: filterSha256(insns) },
    ...(root !== undefined ? { shimRoot: { pid: root } } : {}),
  };
}
