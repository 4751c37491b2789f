import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { HlsaudioError } from '../errors.js';
import { sendError } from './http-error.js';
import { ifRangeHolds, isNotModified } from './conditional.js';
import { parseRange } from './range.js';

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
  /** Bytes `start` to `end`, both inclusive. */
  body(start: number, end: number): Readable | Buffer;
}

/**
 * Answers GET or HEAD: 304 when the client's copy is current, 206 with Content-Range for one
 * satisfiable range, 416 (Content-Range naming the size) for one that starts past the end, 200
 * otherwise. Bodies are streamed with backpressure; a failing read ends the connection (the length
 * is already promised).
 */
export function sendEntity(req: IncomingMessage, res: ServerResponse, entity: Entity): void {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': entity.contentType,
    'Cache-Control': entity.cacheControl,
    ETag: entity.etag,
    ...(entity.lastModified ? { 'Last-Modified': entity.lastModified } : {}),
    ...(entity.ranges ? { 'Accept-Ranges': 'bytes' } : { 'Accept-Ranges': 'none' }),
    ...entity.headers,
  };
  if (isNotModified(req, entity.etag, entity.lastModified)) {
    delete headers['Content-Type'];
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const range = entity.ranges && ifRangeHolds(req, entity.etag, entity.lastModified) ? parseRange(req.headers.range, entity.size) : undefined;
  if (range === 'unsatisfiable') {
    const error = new HlsaudioError('E_RANGE_NOT_SATISFIABLE', `The range ${JSON.stringify(req.headers.range)} starts past the end of this ${entity.size}-byte file`);
    sendError(res, error, () => {}, { 'Content-Range': `bytes */${entity.size}`, 'Accept-Ranges': 'bytes' });
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? entity.size - 1;
  headers['Content-Length'] = end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${entity.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || entity.size === 0) {
    res.end();
    return;
  }
  const body = entity.body(start, end);
  if (Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  pipeline(body, res, (error) => {
    if (error) res.destroy();
  });
}

/** A file's bytes as a stream, read `chunkBytes` at a time. */
export function fileBody(path: string, chunkBytes: number): (start: number, end: number) => Readable {
  return (start, end) => createReadStream(path, { start, end, highWaterMark: chunkBytes });
}
