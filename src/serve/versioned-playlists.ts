import type { FileInfo } from './file-cache.js';
import { uriFile } from './playlist-uri.js';
import { contentEtag } from './respond.js';
import { gzipBytes, type TextFiles } from './text-files.js';

/** The media URI a playlist line names: a segment's URI line, or the URI of an EXT-X-MAP (fMP4's init segment). */
function mediaUriOf(line: string): string | undefined {
  if (line.startsWith('#EXT-X-MAP:')) return /URI="([^"]*)"/.exec(line)?.[1];
  return line && !line.startsWith('#') ? line.trim() : undefined;
}

/** The version of a media file in URIs: its validator (inode, size, mtime), which a rebuild changes. */
export function mediaVersionOf(file: FileInfo): string {
  return file.etag.replace(/"/g, '');
}

interface Versioned {
  key: string;
  bytes: Buffer;
  etag: string;
  gzipped: Promise<Buffer> | undefined;
}

/**
 * Variant playlists as served: each media URI (EXT-X-MAP's included) gains `?v=<version of the media file>`. Media are
 * cached `immutable` only when asked for with their current version, so a cache can never pair a
 * rebuilt playlist with the old bytes of the same file name, and the files on disk stay as
 * `package` wrote them (ffmpeg's HLS demuxer reads local URIs literally, query included).
 */
export class VersionedPlaylists {
  private readonly entries = new Map<string, Versioned>();

  constructor(
    private readonly texts: TextFiles,
    private readonly capacity: number,
  ) {}

  async get(playlist: FileInfo, mediaFile: (file: string) => Promise<FileInfo | undefined>): Promise<{ bytes: Buffer; etag: string; gzipped: () => Promise<Buffer> }> {
    const lines = (await this.texts.read(playlist)).toString('utf8').split('\n');
    const versions = new Map<string, string | undefined>();
    for (const line of lines) {
      const uri = mediaUriOf(line);
      if (uri === undefined) continue;
      const file = uriFile(uri);
      if (!versions.has(file)) versions.set(file, await mediaFile(file).then((info) => info && mediaVersionOf(info)));
    }
    const key = `${playlist.etag}|${[...versions.values()].join('|')}`;
    let entry = this.entries.get(playlist.path);
    if (entry?.key !== key) {
      const bytes = Buffer.from(
        lines
          .map((line) => {
            const uri = mediaUriOf(line);
            const version = uri === undefined ? undefined : versions.get(uriFile(uri));
            if (!version || uri === undefined) return line;
            const versioned = `${uri}${uri.includes('?') ? '&' : '?'}v=${version}`;
            return line.startsWith('#') ? line.replace(`URI="${uri}"`, `URI="${versioned}"`) : versioned;
          })
          .join('\n'),
      );
      entry = { key, bytes, etag: contentEtag(bytes), gzipped: undefined };
      this.entries.delete(playlist.path);
      this.entries.set(playlist.path, entry);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    const cached = entry;
    return { bytes: cached.bytes, etag: cached.etag, gzipped: () => (cached.gzipped ??= gzipBytes(cached.bytes)) };
  }
}
