import { EnvelopeError } from "./errors.js";

/** Thrown by ByteReader when the input ends before a field: the caller may wait for more bytes. */
export class NeedMoreBytes {
  /** The input length at which the failed read would have succeeded. */
  constructor(readonly needed: number) {}
}

/**
 * A cursor over untrusted bytes. Every read is bounded by the input; a read past its end throws
 * NeedMoreBytes (not an error yet: a stream may still deliver them), so a parser written with it
 * can run on a prefix of a message and learn how much more it needs.
 */
export class ByteReader {
  offset = 0;

  constructor(readonly bytes: Uint8Array) {}

  take(length: number): Uint8Array {
    const end = this.offset + length;
    if (end > this.bytes.length) throw new NeedMoreBytes(end);
    const out = this.bytes.subarray(this.offset, end);
    this.offset = end;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }

  u32(): number {
    const b = this.take(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** A u16 length that must lie in [min, max]; refused before any byte of the field is awaited. */
  length16(field: string, min: number, max: number): number {
    const n = this.u16();
    if (n < min || n > max) throw new EnvelopeError("MalformedHeader", `${field} length ${n} is outside ${min}-${max}`);
    return n;
  }
}
