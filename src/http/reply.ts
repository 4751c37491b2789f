import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';
import { capMessage, HlsaudioError, isHlsaudioError } from '../errors.js';
import { errorText, type Logger } from '../log.js';
import { httpStatusOf } from './status.js';

/** A JSON answer; API answers are never cached. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

export interface ErrorReplyOptions {
  /** Told of an error that is not the client's (the answer is then a 500 that names no path). */
  logger: Logger;
  /** The layer, for the log line (`serve`, `realtime`, `analytics`). */
  layer: string;
  /** What a client sees of such an error (default E_INTERNAL). */
  internal?: HlsaudioError;
  headers?: OutgoingHttpHeaders;
}

const INTERNAL = new HlsaudioError('E_INTERNAL', 'The server could not answer this request; its log says why');

/**
 * The one JSON error answer of every HTTP layer: `{"error": code, "message": …}` with the code's
 * status (http/status.ts), the message capped (errors.ts capMessage), `Retry-After` when the error
 * says when to ask again, `WWW-Authenticate: Bearer` on a 401, `Connection: close` on a 413 (the
 * rest of the body is not read). Errors that are not a client's (a bug, an unreadable track.json)
 * are logged and answered with `internal`, whose message names no path.
 */
export function sendError(res: ServerResponse, error: unknown, options: ErrorReplyOptions): void {
  if (res.destroyed) return; // the client is gone: nobody to answer, nothing wrong with the server
  const status = isHlsaudioError(error) ? httpStatusOf(error.code) : undefined;
  const known = status === undefined ? undefined : (error as HlsaudioError);
  if (!known) options.logger.error(`${options.layer}: internal error: ${errorText(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = known ?? options.internal ?? INTERNAL;
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (known?.retryAfterSec !== undefined) headers['Retry-After'] = String(known.retryAfterSec);
  if (status === 401) headers['WWW-Authenticate'] ??= 'Bearer';
  if (status === 413) headers.Connection = 'close';
  sendJson(res, status ?? 500, { error: answer.code, message: capMessage(answer.message) }, headers);
}

export function notFound(message: string): HlsaudioError {
  return new HlsaudioError('E_NOT_FOUND', message);
}

/**
 * The same JSON error answer as raw HTTP/1.1 text, for a socket no ServerResponse owns (an upgrade
 * refused before it happens, a request Node's parser refused): `Connection: close`, the message capped.
 * Without `error`, an empty answer (an upgrade of a path nobody serves).
 */
export function rawErrorResponse(status: number, error: { code: string; message: string } | undefined, headers: Record<string, string> = {}): string {
  const text = error ? JSON.stringify({ error: error.code, message: capMessage(error.message) }) : '';
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Connection: close',
    ...(error ? ['Content-Type: application/json; charset=utf-8'] : []),
    `Content-Length: ${Buffer.byteLength(text)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${text}`;
}
