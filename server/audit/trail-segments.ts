import { mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

/** A segment takes no more groups once it holds this much; the next group starts a new file. */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
const NAME = /^(\d{12})\.jsonl$/;

/**
 * The audit trail on disk: append-only files of lines (one record a line), each named by the
 * number of its first record. A group of records is one write and one fdatasync, and a file is
 * only ever read whole and in order. Why not LevelDB, which held the trail before: it wrote each
 * group twice (its log, then a table) and then compacted it again and again, although nothing in
 * the trail ever changes; that was a tenth of an Encrypt's CPU.
 */
export class TrailSegments {
  /** First record numbers of the segments, ascending. */
  readonly #firsts: number[];
  #handle: FileHandle | undefined;
  /** Bytes of the last segment that are whole and durable: readers stop there. */
  #size = 0;
  /** Set when a failed write could not be undone: nothing more may be appended after it. */
  #broken: unknown;

  private constructor(
    private readonly directory: string,
    firsts: number[],
    private readonly segmentBytes: number,
  ) {
    this.#firsts = firsts;
  }

  /** Opens the directory (creating it), dropping a line that a crash left half written. */
  static async open(directory: string, segmentBytes = SEGMENT_BYTES): Promise<TrailSegments> {
    await mkdir(directory, { recursive: true });
    const segments = new TrailSegments(directory, await listSegments(directory), segmentBytes);
    await segments.#repairTail();
    return segments;
  }

  /** The last whole line of the trail, or undefined when it is empty. */
  async lastLine(): Promise<string | undefined> {
    for (let i = this.#firsts.length - 1; i >= 0; i--) {
      const lines = await this.#read(i);
      if (lines.length > 0) return lines[lines.length - 1];
    }
    return undefined;
  }

  /**
   * Appends lines whose first record is `firstSeq`, durably. A failed write is cut off again,
   * so the file ends where it did; if even that fails, every later append fails too.
   */
  async append(firstSeq: number, lines: string): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#handle === undefined || this.#size >= this.segmentBytes) await this.#startSegment(firstSeq);
    const handle = this.#handle!;
    const data = Buffer.from(`${lines}\n`);
    try {
      for (let written = 0; written < data.length; ) written += (await handle.write(data, written, data.length - written)).bytesWritten;
      await handle.datasync();
      this.#size += data.length;
    } catch (error) {
      await handle.truncate(this.#size).catch(() => (this.#broken = error));
      throw error;
    }
  }

  /** The lines of every segment that may hold record `fromSeq` or later, a segment at a time, in order. */
  async *linesFrom(fromSeq: number): AsyncGenerator<{ firstSeq: number; lines: string[] }> {
    // The last segment that starts at or before fromSeq; the trail may start later (none before it).
    let i = this.#firsts.length - 1;
    while (i > 0 && this.#firsts[i]! > fromSeq) i--;
    for (; i < this.#firsts.length; i++) yield { firstSeq: this.#firsts[i]!, lines: await this.#read(i) };
  }

  /**
   * Replaces the whole trail with these lines (records from 1), atomically: written to a
   * temporary file, synced, then renamed into place. Used once, to move a trail from LevelDB.
   */
  async replaceAll(lines: string): Promise<void> {
    await this.close();
    const temporary = join(this.directory, "replacing.tmp");
    const file = await open(temporary, "w");
    try {
      await file.writeFile(`${lines}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
    for (const first of this.#firsts) await rm(this.#path(first));
    await rename(temporary, this.#path(1));
    await syncDirectory(this.directory);
    this.#firsts.splice(0, this.#firsts.length, 1);
    await this.#repairTail();
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }

  async #startSegment(firstSeq: number): Promise<void> {
    await this.close();
    this.#handle = await open(this.#path(firstSeq), "a");
    // The new file's name must survive a crash as well as its contents.
    await syncDirectory(this.directory);
    this.#firsts.push(firstSeq);
    this.#size = 0;
  }

  /** Opens the last segment for appends, cut back to its last whole line. */
  async #repairTail(): Promise<void> {
    const last = this.#firsts.at(-1);
    if (last === undefined) return;
    const handle = await open(this.#path(last), "a+");
    const { size } = await handle.stat();
    const content = size === 0 ? Buffer.alloc(0) : (await handle.read(Buffer.alloc(size), 0, size, 0)).buffer;
    const whole = content.lastIndexOf(0x0a) + 1;
    if (whole < size) {
      await handle.truncate(whole);
      await handle.datasync();
    }
    this.#handle = handle;
    this.#size = whole;
  }

  /** The whole lines of segment i (the last one only as far as it is durable). */
  async #read(i: number): Promise<string[]> {
    const file = await open(this.#path(this.#firsts[i]!), "r");
    try {
      const length = i === this.#firsts.length - 1 ? this.#size : (await file.stat()).size;
      if (length === 0) return [];
      const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, 0);
      const text = buffer.toString("utf8", 0, bytesRead);
      const end = text.lastIndexOf("\n");
      return end === -1 ? [] : text.slice(0, end).split("\n");
    } finally {
      await file.close();
    }
  }

  #path(firstSeq: number): string {
    return join(this.directory, `${String(firstSeq).padStart(12, "0")}.jsonl`);
  }
}

async function listSegments(directory: string): Promise<number[]> {
  const firsts: number[] = [];
  for (const name of await readdir(directory)) {
    const match = NAME.exec(name);
    if (match) firsts.push(Number(match[1]));
  }
  return firsts.sort((a, b) => a - b);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
