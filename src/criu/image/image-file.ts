/*
 * The framing of a CRIU protobuf image file (criu/image.c, criu/protobuf.c):
 *
 *   IMAGE ::= HEAD { ENTRY }
 *   HEAD  ::= TYPE_MAGIC                        inventory.img only
 *           | IMG_COMMON_MAGIC TYPE_MAGIC       every other protobuf image
 *           | IMG_SERVICE_MAGIC TYPE_MAGIC      service files (stats-dump, irmap-cache)
 *   ENTRY ::= SIZE PAYLOAD                      PAYLOAD: one protobuf message of SIZE bytes
 *   (magics and SIZE are u32 little-endian)
 *
 * Raw images (pages-*.img, tmpfs and iptables dumps) have no HEAD and no framing, and some
 * images put raw data after an entry (pipes-data, ghost files): neither is read here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, MAGIC, type ImageKind } from './magic.js';
import { DUMP_AGAIN, ImageError } from './image-error.js';
import { WireFormatError, WireMessage } from './protobuf-wire.js';

export interface ImageFile {
  kind: ImageKind;
  /** The payload of each ENTRY, in order. */
  entries: Buffer[];
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function headFor(kind: ImageKind): number[] {
  if (kind === 'inventory') return [MAGIC.inventory];
  if (kind === 'stats') return [IMG_SERVICE_MAGIC, MAGIC.stats];
  return [IMG_COMMON_MAGIC, MAGIC[kind]];
}

/** Parse the bytes of an image of `kind`. Throws ImageError (code EIMAGE) naming `file` and the fault. */
export function parseImage(buf: Buffer, kind: ImageKind, file: string): ImageFile {
  const head = headFor(kind);
  const op = `read image ${path.basename(file)}`;
  if (buf.length < head.length * 4) {
    throw new ImageError(op, `${file}: ${buf.length} bytes, too short for a CRIU ${kind} image`, { code: 'EIMAGE', hint: DUMP_AGAIN });
  }
  head.forEach((want, i) => {
    const got = buf.readUInt32LE(i * 4);
    if (got !== want) {
      throw new ImageError(op, `${file}: magic ${hex(got)} at byte ${i * 4}, expected ${hex(want)}: not a CRIU ${kind} image or corrupt`, {
        code: 'EIMAGE',
        hint: DUMP_AGAIN,
      });
    }
  });
  const entries: Buffer[] = [];
  let at = head.length * 4;
  while (at < buf.length) {
    if (at + 4 > buf.length) {
      throw new ImageError(op, `${file}: entry ${entries.length} at byte ${at}: size field cut short`, { code: 'EIMAGE', hint: DUMP_AGAIN });
    }
    const size = buf.readUInt32LE(at);
    if (at + 4 + size > buf.length) {
      throw new ImageError(op, `${file}: entry ${entries.length} at byte ${at}: ${size} bytes announced, ${buf.length - at - 4} present`, {
        code: 'EIMAGE',
        hint: DUMP_AGAIN,
      });
    }
    entries.push(buf.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return { kind, entries };
}

/** Read and parse `file`. Throws ImageError (code ENOENT when absent, EIMAGE when unreadable or corrupt). */
export function readImage(file: string, kind: ImageKind): ImageFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : 'EIMAGE';
    throw new ImageError(`read image ${path.basename(file)}`, `${file}: cannot read: ${(cause as Error).message}`, { cause, code, hint: DUMP_AGAIN });
  }
  return parseImage(buf, kind, file);
}

/** The bytes of an image: its HEAD, then each entry with its size. */
export function serializeImage(img: ImageFile): Buffer {
  const head = headFor(img.kind);
  const parts: Buffer[] = [];
  const h = Buffer.alloc(head.length * 4);
  head.forEach((m, i) => h.writeUInt32LE(m, i * 4));
  parts.push(h);
  for (const e of img.entries) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(e.length);
    parts.push(size, e);
  }
  return Buffer.concat(parts);
}

/** Decode entry `index` of an image as a protobuf message. Throws ImageError (code EIMAGE) naming file and entry. */
export function decodeEntry(img: ImageFile, index: number, file: string): WireMessage {
  const entry = img.entries[index];
  if (entry === undefined) {
    throw new ImageError(`read image ${path.basename(file)}`, `${file}: no entry ${index} (the image holds ${img.entries.length})`, {
      code: 'EIMAGE',
      hint: DUMP_AGAIN,
    });
  }
  try {
    return WireMessage.decode(entry);
  } catch (cause) {
    if (!(cause instanceof WireFormatError)) throw cause;
    throw new ImageError(`read image ${path.basename(file)}`, `${file}: entry ${index}: ${cause.message}`, { cause, code: 'EIMAGE', hint: DUMP_AGAIN });
  }
}

/** Decode every entry of an image. Throws like decodeEntry. */
export function decodeEntries(img: ImageFile, file: string): WireMessage[] {
  return img.entries.map((_, i) => decodeEntry(img, i, file));
}

/** Run `read` over decoded messages, turning a field of the wrong wire type into ImageError naming `file`. */
export function readingImage<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (!(cause instanceof WireFormatError)) throw cause;
    throw new ImageError(`read image ${path.basename(file)}`, `${file}: ${cause.message}`, { cause, code: 'EIMAGE', hint: DUMP_AGAIN });
  }
}
