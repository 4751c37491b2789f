interface Entry {
  file: string;
  start: number;
  bytes: Buffer;
}

/**
 * Bytes of recently served media ranges, bounded in total (`maxBytes`) and per entry
 * (`maxEntryBytes`), least recently used dropped first. Players of one track ask for the same
 * segment ranges, so a hit answers from memory with no file-system call: measured in bench/serve,
 * reading each range through libuv's thread pool held Node at about half of nginx's rate, and the
 * hits bring it level (docs/design-notes.md, "Serving"). Entries are found by file key (the caller's:
 * path and validator, so a rebuilt file never answers with old bytes), then by first byte, with the
 * length checked: no key string is built and hashed per request (a share of a segment request's CPU
 * in bench/serve's profile). One range per first byte and file is kept, the last one read. Ranges
 * over `maxEntryBytes` (whole-file downloads) are streamed and not kept.
 */
export class RangeCache {
  private readonly files = new Map<string, Map<number, Entry>>();
  /** Every entry, least recently used first (a Set keeps insertion order). */
  private readonly order = new Set<Entry>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number,
  ) {}

  /** Whether a range of this length may be kept (and so is read whole rather than streamed). */
  accepts(length: number): boolean {
    return this.maxBytes > 0 && length <= this.maxEntryBytes && length <= this.maxBytes;
  }

  /** Bytes `start` to `end` (inclusive) of `file`, if kept. */
  get(file: string, start: number, end: number): Buffer | undefined {
    const entry = this.files.get(file)?.get(start);
    if (entry?.bytes.length !== end - start + 1) return undefined;
    this.order.delete(entry);
    this.order.add(entry);
    return entry.bytes;
  }

  set(file: string, start: number, bytes: Buffer): void {
    if (!this.accepts(bytes.length)) return;
    const previous = this.files.get(file)?.get(start);
    if (previous) this.drop(previous);
    let ranges = this.files.get(file);
    if (!ranges) {
      ranges = new Map();
      this.files.set(file, ranges);
    }
    const entry: Entry = { file, start, bytes };
    ranges.set(start, entry);
    this.order.add(entry);
    this.bytes += bytes.length;
    for (const oldest of this.order) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.order.size, bytes: this.bytes };
  }

  private drop(entry: Entry): void {
    this.order.delete(entry);
    this.bytes -= entry.bytes.length;
    const ranges = this.files.get(entry.file)!;
    ranges.delete(entry.start);
    if (ranges.size === 0) this.files.delete(entry.file);
  }
}
