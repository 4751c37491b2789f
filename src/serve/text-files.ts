import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { HlsaudioError } from '../errors.js';
import { type FileInfo, openDescribed } from './file-cache.js';

export const gzipBytes: (bytes: Buffer) => Promise<Buffer> = promisify(gzip);

interface TextEntry {
  etag: string;
  bytes: Buffer;
  gzipped: Promise<Buffer> | undefined;
}

/**
 * Small text files (playlists, catalog.json) kept in memory by validator, so that they can be
 * gzipped once and re-ordered per session without reading them again. Bounded by file size
 * (`maxBytes`) and count (`capacity`, least recently used dropped first).
 */
export class TextFiles {
  private readonly entries = new Map<string, TextEntry>();

  constructor(private readonly options: { maxBytes: number; capacity: number }) {}

  async read(file: FileInfo): Promise<Buffer> {
    return (await this.entry(file)).bytes;
  }

  async gzipped(file: FileInfo): Promise<Buffer> {
    const entry = await this.entry(file);
    entry.gzipped ??= gzipBytes(entry.bytes);
    return entry.gzipped;
  }

  private async entry(file: FileInfo): Promise<TextEntry> {
    const cached = this.entries.get(file.path);
    if (cached?.etag === file.etag) {
      this.entries.delete(file.path);
      this.entries.set(file.path, cached);
      return cached;
    }
    if (file.size > this.options.maxBytes) {
      throw new HlsaudioError('E_INTERNAL', `${file.path} is ${file.size} bytes, over the ${this.options.maxBytes}-byte limit for playlists (serveDefaults.maxPlaylistBytes)`);
    }
    const handle = await openDescribed(file); // never new bytes under an old validator
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    const entry: TextEntry = { etag: file.etag, bytes, gzipped: undefined };
    this.entries.set(file.path, entry);
    if (this.entries.size > this.options.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}

/** Whether the client takes gzip (`Accept-Encoding`, a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
