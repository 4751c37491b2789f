import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { HlsaudioError, isHlsaudioError } from '../errors.js';
import { type FileInfo, openDescribed } from './file-cache.js';
import { sendError } from '../http/reply.js';
import { stderrLogger } from '../log.js';
import type { OpenFiles } from './open-files.js';
import type { RangeCache } from './range-cache.js';
import { ifRangeHolds, isNotModified } from './conditional.js';
import { parseRange } from './range.js';
import { headerListWithBase, HlsResponse, NO_HEADERS } from './response.js';

/**
 * One representation a GET or HEAD answers with, whatever holds its bytes (a file, a buffer, the
 * frame-only view of a variant): sendEntity does validators, ranges and HEAD the same way for all.
 */
export interface Entity {
  size: number;
  /** Strong, quoted. */
  etag: string;
  lastModified?: string;
  contentType: string;
  cacheControl: string;
  /** More headers (Content-Encoding, Vary, Content-Disposition). */
  headers?: OutgoingHttpHeaders;
  /** Whether a Range is honoured (a gzipped body is sent whole). */
  ranges: boolean;
  /**
   * Bytes `start` to `end`, both inclusive: a stream, or bytes at hand or once read. A file is opened
   * (and checked against its info) before the promise resolves, so that a failure is a clean error.
   */
  body(start: number, end: number): Readable | Buffer | Promise<Readable | Buffer>;
  /** Kept by sendEntity: the head's fixed part for the base headers it was built with. */
  head?: { base: OutgoingHttpHeaders; list: OutgoingHttpHeader[] };
}

/**
 * Answers GET or HEAD: 304 when the client's copy is current, 206 with Content-Range for one
 * satisfiable range, 416 (Content-Range naming the size) for one that starts past the end, 200
 * otherwise. Bodies are streamed with backpressure; a failing read ends the connection (the length
 * is already promised).
 */
export async function sendEntity(req: IncomingMessage, res: ServerResponse, entity: Entity): Promise<void> {
  if (isNotModified(req, entity.etag, entity.lastModified)) {
    const { 'Content-Type': _, ...headers } = entityHeaders(entity);
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const range = entity.ranges && ifRangeHolds(req, entity.etag, entity.lastModified) ? parseRange(req.headers.range, entity.size) : undefined;
  if (range === 'unsatisfiable') {
    const error = new HlsaudioError('E_RANGE_NOT_SATISFIABLE', `The range ${JSON.stringify(req.headers.range)} starts past the end of this ${entity.size}-byte file`);
    // A known code: nothing is logged.
    sendError(res, error, { logger: stderrLogger, layer: 'serve', headers: { 'Content-Range': `bytes */${entity.size}`, 'Accept-Ranges': 'bytes' } });
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? entity.size - 1;
  const head = [...fixedHead(entity, res), 'Content-Length', end - start + 1];
  if (range) head.push('Content-Range', `bytes ${start}-${end}/${entity.size}`);
  if (req.method === 'HEAD' || entity.size === 0) {
    res.writeHead(range ? 206 : 200, head);
    res.end();
    return;
  }
  const read = entity.body(start, end);
  const body = Buffer.isBuffer(read) ? read : await read; // bytes read before the status line, so a failed read is a clean 500
  if (res.destroyed) {
    // The client left while the bytes were read (players abort segment loads when they switch).
    if (!Buffer.isBuffer(body)) body.destroy();
    return;
  }
  res.writeHead(range ? 206 : 200, head);
  if (Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  pipeline(body, res, (error) => {
    if (error) res.destroy();
  });
}

function entityHeaders(entity: Entity): OutgoingHttpHeaders {
  return {
    'Content-Type': entity.contentType,
    'Cache-Control': entity.cacheControl,
    ETag: entity.etag,
    ...(entity.lastModified ? { 'Last-Modified': entity.lastModified } : {}),
    ...(entity.ranges ? { 'Accept-Ranges': 'bytes' } : { 'Accept-Ranges': 'none' }),
    ...entity.headers,
  };
}

/**
 * The head of a 200 or 206 but for its length and range, with the server's base headers (HlsResponse),
 * as a flat list: built on the entity's first answer and kept on it, so that an entity kept for many
 * requests (a media file's, until its file info is looked up again) builds it once.
 */
function fixedHead(entity: Entity, res: ServerResponse): OutgoingHttpHeader[] {
  const base = res instanceof HlsResponse ? res.baseHeaders : NO_HEADERS;
  if (entity.head?.base !== base) entity.head = { base, list: headerListWithBase(entityHeaders(entity), base) };
  return entity.head.list;
}

/** A file's bytes as a stream, read `chunkBytes` at a time from the file `file` describes (E_FILE_CHANGED if replaced since). */
export function fileBody(file: FileInfo, chunkBytes: number): (start: number, end: number) => Promise<Readable> {
  return async (start, end) => (await openDescribed(file)).createReadStream({ start, end, highWaterMark: chunkBytes });
}

/**
 * A media file's bytes: a range up to the cache's entry size (a segment) from the cache, or read in
 * one call on a kept-open handle and kept (when the cache is on); a longer one (a whole file) streamed.
 */
export function cachedFileBody(file: FileInfo, cache: RangeCache, openFiles: OpenFiles, chunkBytes: number): (start: number, end: number) => Buffer | Promise<Readable | Buffer> {
  const stream = fileBody(file, chunkBytes);
  const key = `${file.path}\0${file.etag}`;
  return (start, end) => {
    const length = end - start + 1;
    if (length > cache.maxEntryBytes) return stream(start, end);
    const hit = cache.get(key, start, end);
    if (hit) return hit;
    return openFiles.read(file, start, length).then((bytes) => {
      cache.set(key, start, bytes);
      return bytes;
    });
  };
}

/**
 * Runs `answer`, and once more when it failed with E_FILE_CHANGED before anything was sent: a file
 * it read had been replaced (a track rebuilt) since its info was cached, so `forget` drops that info
 * first and the second run answers from what is on disk now. A second change in a row is a 503.
 */
export async function answerFromFreshFiles(res: ServerResponse, forget: () => void, answer: () => Promise<void>): Promise<void> {
  try {
    await answer();
  } catch (error) {
    if (!isHlsaudioError(error) || error.code !== 'E_FILE_CHANGED' || res.headersSent) throw error;
    forget();
    await answer();
  }
}
