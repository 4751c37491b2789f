import type { Stats } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { HlsaudioError } from '../errors.js';

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
  /** What `info` resolved to, once it did: what `peek` answers with. */
  settled?: FileInfo | undefined;
}

/**
 * Resolves paths below the served folder to regular files that really lie inside it (a symlink that
 * points out is "not found", as is a folder), with the results kept `ttlMs` in a small map: the
 * hot path of a segment request then makes no file-system call but the read itself. Concurrent
 * lookups of one path share one promise. Entries are dropped oldest first past `capacity`: a hit does
 * not move its entry, which lives `ttlMs` at most anyway (moving it cost a measurable share of a
 * segment request in bench/serve).
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
    if (cached && cached.expiresAt > now) return cached.info;
    const info = this.resolve(segments);
    if (this.ttlMs > 0) {
      const entry: Entry = { info, expiresAt: now + this.ttlMs };
      void info.then((settled) => (entry.settled = settled));
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return info;
  }

  /**
   * The file at `path` (segments joined with `/`) when a lookup of it has resolved to a file and is
   * still fresh, without waiting; undefined otherwise (then `lookup` answers). For the hot path of a
   * segment request, which then takes no trip through the microtask queue.
   */
  peek(path: string): FileInfo | undefined {
    const cached = this.entries.get(path);
    return cached && cached.expiresAt > performance.now() ? cached.settled : undefined;
  }

  /** Drops what is cached of `segments` and of every path below them: the next lookups stat afresh. */
  forget(segments: readonly string[]): void {
    const key = segments.join('/');
    for (const cached of this.entries.keys()) {
      if (cached === key || cached.startsWith(`${key}/`)) this.entries.delete(cached);
    }
  }

  private async resolve(segments: readonly string[]): Promise<FileInfo | undefined> {
    try {
      const path = await realpath(join(this.root, ...segments));
      if (!path.startsWith(this.root + sep)) return undefined;
      const stats = await stat(path, { bigint: false });
      return stats.isFile() ? fileInfo(path, stats) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A file's FileInfo from its stat; the ETag is what tells two builds of a path apart. */
export function fileInfo(path: string, stats: Stats): FileInfo {
  const mtimeMs = Math.floor(stats.mtimeMs);
  return {
    path,
    size: stats.size,
    mtimeMs,
    etag: `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${mtimeMs.toString(16)}"`,
    lastModified: new Date(mtimeMs).toUTCString(),
  };
}

/**
 * Opens the file `file` describes. Its info may be up to the cache's TTL old, and `package` rewrites
 * masters and track.json in place by rename (media and variant playlists get new names; a folder
 * edited by hand may replace any file): the path may now name another file, whose bytes must not go
 * out under the old size and ETag. So the open file is checked (fstat: inode, size, mtime) against
 * the info, and E_FILE_CHANGED (HTTP 503) is thrown when it differs, or when nothing is at the path
 * any more (an expired file removed): the caller forgets the info and answers afresh.
 */
export async function openDescribed(file: FileInfo): Promise<FileHandle> {
  const handle = await open(file.path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? fileChanged(file, error) : error;
  });
  let unchanged = false;
  try {
    unchanged = fileInfo(file.path, await handle.stat()).etag === file.etag;
  } finally {
    if (!unchanged) await handle.close();
  }
  if (unchanged) return handle;
  throw fileChanged(file);
}

function fileChanged(file: FileInfo, cause?: unknown): HlsaudioError {
  return new HlsaudioError('E_FILE_CHANGED', 'The file changed while it was being served (its track is being rebuilt); ask again', { file: file.path, cause });
}
