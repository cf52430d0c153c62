/**
 * The records the native front reads and writes (docs/FRONT.md): the body of the session
 * cache's front entry (NAME.front) and the hand-over stream from the front to its TypeScript
 * helper on fd 3 (handover-main.ts). One reader and one writer for both, in TypeScript: the
 * entry's header and the meaning of each body are front-entry.ts's, the hand-over's
 * handover-records.ts's.
 *
 *   RECORD ::= TAG:u32 LEN:u32 BODY[LEN]          integers little-endian
 */
import { ShimError } from '../errors.js';

/**
 * Record tags, as the front numbers them (docs/FRONT.md's table and "When a call needs
 * TypeScript"). END and HELD belong to the hand-over only; a cache entry holds neither.
 */
export const FrontTag = {
  end: 0,
  key: 1,
  dep: 2,
  filter: 3,
  sha256: 4,
  notice: 5,
  identity: 6,
  added: 7,
  persona: 8,
  actions: 9,
  route: 10,
  worker: 11,
  held: 12,
} as const;

export interface FrontRecord {
  tag: number;
  body: Uint8Array;
}

const HEADER = 8;
/**
 * The largest body read. The biggest record is WORKER (the persona and every route, some
 * hundred KB); a damaged LEN must fail at once, not make the reader wait for gigabytes.
 */
export const MAX_RECORD_BODY = 64 * 1024 * 1024;

/** The records, in order, as one buffer. Throws ShimError (EINVAL) for a tag or body out of range. */
export function encodeRecords(records: readonly FrontRecord[]): Buffer {
  let size = 0;
  for (const r of records) {
    if (!Number.isInteger(r.tag) || r.tag < 0 || r.tag > 0xffffffff) throw new ShimError('write front records', `tag ${r.tag} is not a u32`, { code: 'EINVAL' });
    if (r.body.length > MAX_RECORD_BODY) throw new ShimError('write front records', `a record of ${r.body.length} bytes is over ${MAX_RECORD_BODY}`, { code: 'EINVAL' });
    size += HEADER + r.body.length;
  }
  const out = Buffer.alloc(size);
  let at = 0;
  for (const r of records) {
    out.writeUInt32LE(r.tag, at);
    out.writeUInt32LE(r.body.length, at + 4);
    out.set(r.body, at + HEADER);
    at += HEADER + r.body.length;
  }
  return out;
}

/** A record cut short: `at` its offset; `tag` and `promised` (its LEN) once its header is whole. */
export class FrontRecordError extends ShimError {
  constructor(
    message: string,
    readonly at: number,
    readonly tag?: number,
    readonly promised?: number,
  ) {
    super('read front records', message, { code: 'EPROTO' });
  }
}

export interface PlacedRecord {
  tag: number;
  body: Buffer;
  /** Offset of its header in the bytes read. */
  at: number;
}

/**
 * The records of `bytes` from `start`, in order, each as it is reached: a reader that checks
 * each body (front-entry.ts) names the first fault in file order. Bodies are views of `bytes`.
 * Throws FrontRecordError at a record cut short (header or body).
 */
export function* placedRecords(bytes: Uint8Array, start = 0): Generator<PlacedRecord> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  while (at < b.length) {
    if (b.length - at < HEADER) throw new FrontRecordError(`trailing bytes at ${at}`, at);
    const tag = b.readUInt32LE(at);
    const len = b.readUInt32LE(at + 4);
    if (b.length - at - HEADER < len) throw new FrontRecordError(`tag ${tag} at ${at}: short record (${len} bytes promised)`, at, tag, len);
    yield { tag, body: b.subarray(at + HEADER, at + HEADER + len), at };
    at += HEADER + len;
  }
}

/** Every record of `bytes`, which must hold whole records only. Throws FrontRecordError for a record cut short. */
export function decodeRecords(bytes: Uint8Array): FrontRecord[] {
  return [...placedRecords(bytes)].map(({ tag, body }) => ({ tag, body }));
}

/**
 * Records from a byte stream that arrives in pieces (the hand-over on fd 3): `push` each piece
 * and take the records it completed, bodies copied. A body longer than MAX_RECORD_BODY throws
 * FrontRecordError as soon as its header is in; `buffered` says how many bytes of an
 * unfinished record are held.
 */
export class RecordReader {
  private buf: Buffer = Buffer.alloc(0);
  private consumed = 0;

  push(chunk: Uint8Array): FrontRecord[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: FrontRecord[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER) {
      const tag = this.buf.readUInt32LE(at);
      const len = this.buf.readUInt32LE(at + 4);
      if (len > MAX_RECORD_BODY) throw new FrontRecordError(`tag ${tag} at ${this.consumed + at}: ${len} bytes promised, over ${MAX_RECORD_BODY}`, this.consumed + at, tag, len);
      if (this.buf.length - at - HEADER < len) break;
      out.push({ tag, body: new Uint8Array(this.buf.subarray(at + HEADER, at + HEADER + len)) });
      at += HEADER + len;
    }
    this.consumed += at;
    this.buf = this.buf.subarray(at);
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}
