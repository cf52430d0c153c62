/*
 * The Protocol Buffers wire format (proto2, as CRIU's images/*.proto use it), read and
 * written without a schema, so that a message can be edited in place and every field this
 * code does not know survives byte for byte.
 *
 *   MESSAGE ::= { FIELD }
 *   FIELD   ::= KEY VALUE
 *   KEY     ::= VARINT                        (field_number << 3) | wire_type
 *   VALUE   ::= VARINT                        wire type 0: (u)int32/64, sint32/64 (zigzag), bool, enum
 *             | 8 bytes, little-endian        wire type 1: fixed64, sfixed64, double
 *             | LENGTH:VARINT LENGTH bytes    wire type 2: string, bytes, embedded message, packed repeated
 *             | 4 bytes, little-endian        wire type 5: fixed32, sfixed32, float
 *   VARINT  ::= { 1xxxxxxx } 0xxxxxxx         7 bits a byte, lowest group first, at most 10 bytes
 *
 * Wire types 3 and 4 (groups) are deprecated and never written by protobuf-c for CRIU: refused.
 * A repeated scalar arrives unpacked (one FIELD per element) or packed (one wire type 2 FIELD
 * holding the elements' VALUEs back to back); readers must accept both.
 * For a non-repeated field that appears twice, the last one wins.
 */

export type WireType = 0 | 1 | 2 | 5;
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** A malformed message. `offset` is the byte where decoding stopped. */
export class WireFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'WireFormatError';
    this.offset = offset;
  }
}

export interface Field {
  no: number;
  type: WireType;
  /** The whole field, key and value, exactly as read or built; written back unchanged. */
  raw: Buffer;
  /** Where the value starts in `raw`: after the key, and for wire type 2 after the length. */
  valueOffset: number;
}

const MAX_VARINT_BYTES = 10;

/** Decode the VARINT at `offset`. Throws WireFormatError when it runs past the end or past 10 bytes. */
export function decodeVarint(buf: Uint8Array, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const at = offset + i;
    if (at >= buf.length) throw new WireFormatError('varint runs past the end', at);
    const byte = buf[at]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: value & 0xffff_ffff_ffff_ffffn, next: at + 1 };
    shift += 7n;
  }
  throw new WireFormatError('varint longer than 10 bytes', offset);
}

/** The shortest VARINT for an unsigned 64-bit value; negative numbers as their two's complement (10 bytes). */
export function encodeVarint(v: bigint | number): Buffer {
  let value = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const low = Number(value & 0x7fn);
    value >>= 7n;
    out.push(value === 0n ? low : low | 0x80);
  } while (value !== 0n);
  return Buffer.from(out);
}

/** Split a message into its fields. Throws WireFormatError on a truncated or malformed field. */
export function decodeFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    const key = decodeVarint(buf, at);
    const no = Number(key.value >> 3n);
    const type = Number(key.value & 7n);
    if (no === 0) throw new WireFormatError('field number 0', start);
    at = key.next;
    let valueOffset = at - start;
    switch (type) {
      case WIRE.varint:
        at = decodeVarint(buf, at).next;
        break;
      case WIRE.fixed64:
        at += 8;
        break;
      case WIRE.fixed32:
        at += 4;
        break;
      case WIRE.bytes: {
        const len = decodeVarint(buf, at);
        if (len.value > BigInt(buf.length)) throw new WireFormatError(`field ${no}: length ${len.value} runs past the end`, at);
        valueOffset = len.next - start;
        at = len.next + Number(len.value);
        break;
      }
      default:
        throw new WireFormatError(`field ${no}: wire type ${type} is not used by CRIU images`, start);
    }
    if (at > buf.length) throw new WireFormatError(`field ${no}: value runs past the end`, start);
    fields.push({ no, type: type as WireType, raw: buf.subarray(start, at), valueOffset });
  }
  return fields;
}

function key(no: number, type: WireType): Buffer {
  return encodeVarint((BigInt(no) << 3n) | BigInt(type));
}

/** A wire type 0 field: uint32/64, enum, bool, or a negative int as 64-bit two's complement. */
export function varintField(no: number, value: bigint | number): Field {
  const k = key(no, WIRE.varint);
  return { no, type: WIRE.varint, raw: Buffer.concat([k, encodeVarint(value)]), valueOffset: k.length };
}

/** A wire type 2 field: bytes, a string's UTF-8, an encoded embedded message. */
export function bytesField(no: number, value: Uint8Array): Field {
  const head = Buffer.concat([key(no, WIRE.bytes), encodeVarint(value.length)]);
  return { no, type: WIRE.bytes, raw: Buffer.concat([head, value]), valueOffset: head.length };
}

/** A wire type 5 field (fixed32). */
export function fixed32Field(no: number, value: number): Field {
  const k = key(no, WIRE.fixed32);
  const v = Buffer.alloc(4);
  v.writeUInt32LE(value >>> 0);
  return { no, type: WIRE.fixed32, raw: Buffer.concat([k, v]), valueOffset: k.length };
}

/** A wire type 1 field (fixed64). */
export function fixed64Field(no: number, value: bigint): Field {
  const k = key(no, WIRE.fixed64);
  const v = Buffer.alloc(8);
  v.writeBigUInt64LE(BigInt.asUintN(64, value));
  return { no, type: WIRE.fixed64, raw: Buffer.concat([k, v]), valueOffset: k.length };
}

/** The value bytes of a field: the payload for wire type 2, the VARINT or fixed bytes otherwise. */
export function valueBytes(f: Field): Buffer {
  return f.raw.subarray(f.valueOffset);
}

/** A scalar field's value as unsigned 64 bits. Throws WireFormatError for a wire type 2 field. */
export function scalarValue(f: Field): bigint {
  const v = valueBytes(f);
  switch (f.type) {
    case WIRE.varint:
      return decodeVarint(v, 0).value;
    case WIRE.fixed64:
      return v.readBigUInt64LE(0);
    case WIRE.fixed32:
      return BigInt(v.readUInt32LE(0));
    default:
      throw new WireFormatError(`field ${f.no}: a length-delimited field is not a scalar`, 0);
  }
}

/**
 * A message as an ordered list of fields. Edits replace fields in place (at the position of
 * the first field with that number), so an unedited message encodes to its original bytes.
 */
export class WireMessage {
  constructor(readonly fields: Field[] = []) {}

  /** Throws WireFormatError when `buf` is not a well-formed message. */
  static decode(buf: Buffer): WireMessage {
    return new WireMessage(decodeFields(buf));
  }

  encode(): Buffer {
    return Buffer.concat(this.fields.map((f) => f.raw));
  }

  has(no: number): boolean {
    return this.fields.some((f) => f.no === no);
  }

  all(no: number): Field[] {
    return this.fields.filter((f) => f.no === no);
  }

  last(no: number): Field | undefined {
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i]!.no === no) return this.fields[i];
    return undefined;
  }

  /** An unsigned scalar (uint32, enum, bool) as a number; undefined when absent. */
  uint(no: number): number | undefined {
    const f = this.last(no);
    return f === undefined ? undefined : Number(BigInt.asUintN(32, scalarValue(f)));
  }

  uint64(no: number): bigint | undefined {
    const f = this.last(no);
    return f === undefined ? undefined : scalarValue(f);
  }

  bytes(no: number): Buffer | undefined {
    const f = this.last(no);
    if (f === undefined) return undefined;
    if (f.type !== WIRE.bytes) throw new WireFormatError(`field ${f.no}: expected length-delimited, found wire type ${f.type}`, 0);
    return valueBytes(f);
  }

  string(no: number): string | undefined {
    return this.bytes(no)?.toString('utf8');
  }

  /** An embedded message (the last occurrence; CRIU never splits one across occurrences). */
  message(no: number): WireMessage | undefined {
    const b = this.bytes(no);
    return b === undefined ? undefined : WireMessage.decode(b);
  }

  /** Every occurrence of a repeated embedded message, in order. */
  messages(no: number): WireMessage[] {
    return this.all(no).map((f) => {
      if (f.type !== WIRE.bytes) throw new WireFormatError(`field ${f.no}: expected an embedded message`, 0);
      return WireMessage.decode(valueBytes(f));
    });
  }

  /** A repeated unsigned VARINT field, packed or unpacked (or both mixed), in order. */
  repeatedUint(no: number): number[] {
    const out: number[] = [];
    for (const f of this.all(no)) {
      if (f.type === WIRE.varint) {
        out.push(Number(BigInt.asUintN(32, scalarValue(f))));
      } else if (f.type === WIRE.bytes) {
        const v = valueBytes(f);
        for (let at = 0; at < v.length; ) {
          const d = decodeVarint(v, at);
          out.push(Number(BigInt.asUintN(32, d.value)));
          at = d.next;
        }
      } else {
        throw new WireFormatError(`field ${f.no}: wire type ${f.type} in a repeated varint`, 0);
      }
    }
    return out;
  }

  /** Replace every field numbered `no` with `replacement` (none: remove), at the first one's position or at the end. */
  replace(no: number, replacement: Field[]): void {
    const first = this.fields.findIndex((f) => f.no === no);
    const kept = this.fields.filter((f) => f.no !== no);
    const at = first < 0 ? kept.length : this.fields.slice(0, first).filter((f) => f.no !== no).length;
    this.fields.splice(0, this.fields.length, ...kept.slice(0, at), ...replacement, ...kept.slice(at));
  }

  remove(no: number): void {
    this.replace(no, []);
  }

  setUint(no: number, value: number | bigint): void {
    this.replace(no, [varintField(no, value)]);
  }

  setMessage(no: number, msg: WireMessage): void {
    this.replace(no, [bytesField(no, msg.encode())]);
  }

  /** Set a repeated uint32, keeping the packed form when the field was packed before. */
  setRepeatedUint(no: number, values: readonly number[]): void {
    const packed = this.all(no).some((f) => f.type === WIRE.bytes);
    if (packed) {
      this.replace(no, values.length === 0 ? [] : [bytesField(no, Buffer.concat(values.map((v) => encodeVarint(v))))]);
    } else {
      this.replace(no, values.map((v) => varintField(no, v)));
    }
  }
}
