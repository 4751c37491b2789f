import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What a response needs to know of a file: where it really is, its size and its validators. */
export interface FileInfo {
  /** The real path (symlinks resolved), inside the served folder. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Strong validator: inode, size and modification time (a rebuilt track gets new files by rename). */
  etag: string;
  lastModified: string;
}

interface Entry {
  info: Promise<FileInfo | undefined>;
  expiresAt: number;
}

/**
 * Resolves paths below the served folder to regular files that really lie inside it (a symlink that
 * points out is "not found", as is a folder), with the results kept `ttlMs` in a small LRU map: the
 * hot path of a segment request then makes no file-system call but the read itself. Concurrent
 * lookups of one path share one promise.
 */
export class FileCache {
  private readonly entries = new Map<string, Entry>();

  private constructor(
    readonly root: string,
    private readonly ttlMs: number,
    private readonly capacity: number,
  ) {}

  /** `root` is resolved to its real path once: files must lie below that. */
  static async create(root: string, options: { ttlMs: number; capacity: number }): Promise<FileCache> {
    return new FileCache(await realpath(root), options.ttlMs, options.capacity);
  }

  /** The file at `segments` below the root, or undefined when there is none (or it lies outside). */
  lookup(segments: readonly string[]): Promise<FileInfo | undefined> {
    const key = segments.join('/');
    const now = performance.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, cached);
      return cached.info;
    }
    const info = this.resolve(segments);
    if (this.ttlMs > 0) {
      this.entries.delete(key);
      this.entries.set(key, { info, expiresAt: now + this.ttlMs });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return info;
  }

  private async resolve(segments: readonly string[]): Promise<FileInfo | undefined> {
    try {
      const path = await realpath(join(this.root, ...segments));
      if (!path.startsWith(this.root + sep)) return undefined;
      const stats = await stat(path, { bigint: false });
      if (!stats.isFile()) return undefined;
      const mtimeMs = Math.floor(stats.mtimeMs);
      return {
        path,
        size: stats.size,
        mtimeMs,
        etag: `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${mtimeMs.toString(16)}"`,
        lastModified: new Date(mtimeMs).toUTCString(),
      };
    } catch {
      return undefined;
    }
  }
}
