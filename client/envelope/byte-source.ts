import type { Readable } from "node:stream";
import { EnvelopeError } from "./errors.js";

/** What the stream functions read: any (async) iterable of byte pieces, such as a Node Readable. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable;

/** What a taken piece is left as until the taken pieces are dropped together. */
const EMPTY = new Uint8Array(0);

/**
 * Reads a ByteSource on demand: bytes are pulled only when a caller asks for more than are
 * buffered, so at most one piece beyond what the caller needs is held. A piece is used in place
 * while it is the last one pulled, and copied (once) before the next pull: a source may reuse its
 * buffer once it is asked for the next piece, as a read loop over one buffer does.
 */
export class ByteSourceReader {
  private readonly iterator: AsyncIterator<unknown> | Iterator<unknown>;
  private readonly pieces: Uint8Array[] = [];
  /**
   * Where the buffered pieces start in `pieces`: taken pieces are passed over, not shifted out, and
   * dropped in bulk, so a source that yields many tiny pieces costs linear time, not quadratic.
   */
  private first = 0;
  /** How many of the leading (buffered) pieces are this reader's own copies. */
  private owned = 0;
  private head = 0;
  private buffered = 0;
  private ended = false;

  constructor(source: ByteSource) {
    if (source === null || typeof source !== "object") throw new EnvelopeError("InvalidArgument", "the source must be an iterable of Uint8Array");
    const asyncIterable = (source as AsyncIterable<unknown>)[Symbol.asyncIterator];
    const iterable = (source as Iterable<unknown>)[Symbol.iterator];
    if (source instanceof Uint8Array || (typeof asyncIterable !== "function" && typeof iterable !== "function")) {
      throw new EnvelopeError("InvalidArgument", "the source must be an iterable of Uint8Array pieces (wrap a single buffer in an array)");
    }
    this.iterator = typeof asyncIterable === "function" ? asyncIterable.call(source) : iterable.call(source);
  }

  /** Bytes buffered and not yet taken. */
  get length(): number {
    return this.buffered;
  }

  /** Pulls until at least `n` bytes are buffered; false when the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.ended || !(await this.pull())) return false;
    }
    return true;
  }

  /** Whether the source has no byte left (pulls one more piece if needed to tell). */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /**
   * The first `n` buffered bytes (n <= length): a view when they lie in one piece, else a copy.
   * A view is valid only until the next fill or atEnd (the source may then reuse its buffer).
   */
  peek(n: number): Uint8Array {
    const first = this.pieces[this.first]!;
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    let i = this.first;
    let rest: Uint8Array | undefined;
    for (; at < n; i++) {
      const piece = this.pieces[i]!;
      const from = i === this.first ? this.head : 0;
      const count = Math.min(n - at, piece.length - from);
      out.set(piece.subarray(from, from + count), at);
      at += count;
      if (from + count < piece.length) rest = piece.subarray(from + count);
    }
    // The copy takes the place of the pieces it covers, so peeking again (a header parsed field
    // by field from tiny pieces) does not walk them all again. Only the last piece can be the
    // source's own; what is left of it keeps its place and its standing.
    const covered = i - this.first - (rest ? 1 : 0);
    this.pieces.splice(this.first, i - this.first, out, ...(rest ? [rest] : []));
    this.owned = 1 + Math.max(0, this.owned - covered);
    this.head = 0;
    return out;
  }

  /**
   * Removes and returns the next 1 to `max` bytes as they come: a view of the first buffered
   * piece (pulling one if none is buffered), valid until the next pull; undefined at the end.
   */
  async next(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill(1))) return undefined;
    const first = this.pieces[this.first]!;
    const n = Math.min(max, first.length - this.head);
    const out = first.subarray(this.head, this.head + n);
    this.skip(n);
    return out;
  }

  /** Removes and returns the first `n` buffered bytes (n <= length). */
  take(n: number): Uint8Array {
    const out = n === 0 ? new Uint8Array(0) : this.peek(n);
    this.skip(n);
    return out;
  }

  /** Stops the source early (closes a Readable), for errors and abandoned iterations. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.iterator.return?.();
    }
  }

  private skip(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const available = this.pieces[this.first]!.length - this.head;
      if (n < available) {
        this.head += n;
        break;
      }
      n -= available;
      this.pieces[this.first++] = EMPTY;
      if (this.owned > 0) this.owned--;
      this.head = 0;
    }
    if (this.first > 64 && this.first * 2 > this.pieces.length) {
      this.pieces.splice(0, this.first);
      this.first = 0;
    }
  }

  private async pull(): Promise<boolean> {
    for (; this.owned < this.pieces.length - this.first; this.owned++) {
      const at = this.first + this.owned;
      const from = this.owned === 0 ? this.head : 0;
      this.pieces[at] = Buffer.from(this.pieces[at]!.subarray(from));
      if (this.owned === 0) this.head = 0;
    }
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const piece = next.value;
    if (!(piece instanceof Uint8Array)) throw new EnvelopeError("InvalidArgument", "the source yielded something other than a Uint8Array");
    if (piece.length > 0) {
      this.pieces.push(piece);
      this.buffered += piece.length;
    }
    return true;
  }
}
