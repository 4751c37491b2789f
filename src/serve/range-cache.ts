/**
 * Bytes of recently served media ranges, bounded in total (`maxBytes`) and per entry
 * (`maxEntryBytes`), least recently used dropped first. Players of one track ask for the same
 * segment ranges, so a hit answers from memory with no file-system call: measured in bench/serve,
 * reading each range through libuv's thread pool held Node at about half of nginx's rate, and the
 * hits bring it level (docs/design-notes.md, "Serving"). Keys carry the file's validator, so a
 * rebuilt file never answers with old bytes. Ranges over `maxEntryBytes` (whole-file downloads)
 * are streamed and not kept.
 */
export class RangeCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number,
  ) {}

  /** Whether a range of this length may be kept (and so is read whole rather than streamed). */
  accepts(length: number): boolean {
    return this.maxBytes > 0 && length <= this.maxEntryBytes && length <= this.maxBytes;
  }

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Buffer): void {
    if (!this.accepts(value.length)) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.bytes -= previous.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, buffer] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= buffer.length;
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
