import type { FileHandle } from 'node:fs/promises';
import { type FileInfo, openDescribed } from './file-cache.js';

interface OpenFile {
  handle: Promise<FileHandle>;
  users: number;
  lastUsedMs: number;
}

/**
 * File handles kept open between reads (as nginx's `open_file_cache`): a range read is then one
 * `pread` instead of open, read and close, three trips through libuv's thread pool. Handles are
 * keyed by path and validator, so a rebuilt file gets a new one, and a handle is kept only when the
 * file it opened is the one the validator describes (E_FILE_CHANGED otherwise: the path was given a
 * rebuilt file since its info was cached). A handle no read has used for `idleMs` is closed, and past
 * `capacity` open files the idle ones go first.
 */
export class OpenFiles {
  private readonly files = new Map<string, OpenFile>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly capacity: number,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(idleMs, 100));
    this.sweeper.unref();
  }

  /** `length` bytes of the file from `start`. */
  async read(file: FileInfo, start: number, length: number): Promise<Buffer> {
    const key = `${file.path}\0${file.etag}`;
    let entry = this.files.get(key);
    if (!entry) {
      entry = { handle: openDescribed(file), users: 0, lastUsedMs: 0 };
      this.files.set(key, entry);
      entry.handle.catch(() => this.files.delete(key));
      if (this.files.size > this.capacity) this.closeIdle(true);
    }
    entry.users++;
    try {
      const handle = await entry.handle;
      const bytes = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`${file.path} ended before byte ${start + length}`);
        done += bytesRead;
      }
      return bytes;
    } finally {
      entry.users--;
      entry.lastUsedMs = performance.now();
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [key, entry] of this.files) this.release(key, entry);
  }

  private closeIdle(overCapacity = false): void {
    const now = performance.now();
    for (const [key, entry] of this.files) {
      if (entry.users > 0) continue;
      if (overCapacity ? this.files.size > this.capacity : now - entry.lastUsedMs >= this.idleMs) this.release(key, entry);
    }
  }

  private release(key: string, entry: OpenFile): void {
    this.files.delete(key);
    entry.handle.then((handle) => handle.close()).catch(() => {});
  }
}
