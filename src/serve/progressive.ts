import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { HlsaudioError } from '../errors.js';
import { ID3_HEADER_BYTES, id3TagLength } from '../hls/id3.js';
import { readMediaPlaylist } from '../hls/parse.js';
import { type FileInfo, openDescribed } from './file-cache.js';
import { uriFile } from './playlist-uri.js';

/** A run of bytes of the media file that the view keeps. */
interface Piece {
  offset: number;
  length: number;
}

/**
 * A variant's media file as one plain file: packed audio without the ID3 tag at the start of each
 * segment (plain ADTS or MPEG audio); fMP4 as its init segment and fragments, a fragmented MP4.
 */
export interface FrameView {
  /** Validator of the media file and the playlist together. */
  etag: string;
  size: number;
  pieces: Piece[];
}

/**
 * Builds the frame-only view of a variant: the byte ranges of its playlist, each less the ID3 tag
 * it starts with. Packed audio needs those tags between segments, but read as one file they break
 * MP3 decoders (`Header missing` and lost audio at each, DESIGN.md), so `/stream/` leaves them out.
 * Every segment must be a range of the media file, whose URI relative to the playlist is `mediaUri`
 * (a query on a segment's URI, such as `?v=1`, is not part of the file's name). Reads ten bytes
 * per segment to size its tag; the result is cached by the caller.
 */
export async function buildFrameView(playlistText: string, media: FileInfo, playlist: FileInfo, mediaUri: string): Promise<FrameView> {
  const model = readMediaPlaylist(playlistText);
  const segments = model.segments;
  const foreign = [...segments, ...(model.map ? [model.map] : [])].find((segment) => uriFile(segment.uri) !== mediaUri);
  if (foreign) throw new HlsaudioError('E_INTERNAL', `${playlist.path}: segment URI ${JSON.stringify(foreign.uri)} is not the variant's media file ${JSON.stringify(mediaUri)}`);
  const handle = await openDescribed(media);
  const pieces: Piece[] = model.map ? [{ offset: model.map.offset ?? 0, length: model.map.length ?? 0 }] : [];
  try {
    const header = Buffer.alloc(ID3_HEADER_BYTES);
    let next = 0;
    for (const segment of segments) {
      const offset = segment.offset ?? next;
      const length = segment.length ?? media.size - offset;
      next = offset + length;
      if (offset < 0 || next > media.size) throw new HlsaudioError('E_INTERNAL', `${playlist.path}: a byte range ends past its media file`);
      const { bytesRead } = await handle.read(header, 0, ID3_HEADER_BYTES, offset);
      const tag = bytesRead === ID3_HEADER_BYTES ? (id3TagLength(header, 0) ?? 0) : 0;
      const kept = { offset: offset + Math.min(tag, length), length: length - Math.min(tag, length) };
      const last = pieces[pieces.length - 1];
      if (last && last.offset + last.length === kept.offset) last.length += kept.length;
      else if (kept.length > 0) pieces.push(kept);
    }
  } finally {
    await handle.close();
  }
  return {
    etag: `"v${media.etag.slice(1, -1)}-${playlist.etag.slice(1, -1)}"`,
    size: pieces.reduce((sum, piece) => sum + piece.length, 0),
    pieces,
  };
}

/**
 * Bytes `start` to `end` (inclusive) of the view, read piece by piece from the media file, which is
 * opened and checked against `media` (E_FILE_CHANGED) before the answer starts. The stream owns the
 * handle: it is closed when the stream closes, read to the end or not read at all.
 */
export function frameViewBody(media: FileInfo, view: FrameView, chunkBytes: number): (start: number, end: number) => Promise<Readable> {
  return async (start, end) => {
    const handle = await openDescribed(media);
    const body = Readable.from(readView(handle, media.path, view.pieces, start, end + 1, chunkBytes), { objectMode: false });
    body.once('close', () => void handle.close().catch(() => {}));
    return body;
  };
}

async function* readView(handle: FileHandle, path: string, pieces: readonly Piece[], start: number, stop: number, chunkBytes: number): AsyncGenerator<Buffer> {
  let viewAt = 0;
  for (const piece of pieces) {
    const pieceStop = viewAt + piece.length;
    if (viewAt >= stop) break;
    for (let at = Math.max(start, viewAt); at < Math.min(stop, pieceStop); ) {
      const wanted = Math.min(chunkBytes, Math.min(stop, pieceStop) - at);
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(wanted), 0, wanted, piece.offset + (at - viewAt));
      if (bytesRead === 0) throw new Error(`${path} is shorter than its playlist says`);
      yield buffer.subarray(0, bytesRead);
      at += bytesRead;
    }
    viewAt = pieceStop;
  }
}
