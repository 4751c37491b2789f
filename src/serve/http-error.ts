import type { ServerResponse } from 'node:http';
import { capMessage, type ErrorCode, HlsaudioError, isHlsaudioError } from '../errors.js';

/** The HTTP status of each error code a request can meet; any other error is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  E_BAD_REQUEST: 400,
  E_BAD_PATH: 400,
  E_BAD_JSON: 400,
  E_FIELD: 400,
  E_AUTH: 401,
  E_NOT_FOUND: 404,
  E_UNKNOWN_TRACK: 404,
  E_UNKNOWN_QUALITY: 404,
  E_UNKNOWN_SESSION: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_BODY_TOO_LARGE: 413,
  E_URL_TOO_LONG: 414,
  E_RANGE_NOT_SATISFIABLE: 416,
  E_QUOTA: 429,
  E_TOO_MANY_SESSIONS: 503,
  E_FILE_CHANGED: 503,
};

export function httpStatusOf(error: HlsaudioError): number | undefined {
  return STATUS[error.code];
}

/**
 * Answers an error as JSON `{error, message}`, the message capped (errors.ts capMessage), with
 * `Retry-After` when the error says when to ask again and `WWW-Authenticate` on a 401. Errors that
 * are not a client's (a bug, an unreadable track.json) become `E_INTERNAL` with a message that names
 * no path; `onInternal` gets the real one.
 */
export function sendError(res: ServerResponse, error: unknown, onInternal: (error: unknown) => void, headers: Record<string, string> = {}): void {
  if (res.destroyed) return; // the client is gone: nobody to answer, nothing wrong with the server
  const status = isHlsaudioError(error) ? httpStatusOf(error) : undefined;
  const known = status !== undefined ? (error as HlsaudioError) : undefined;
  if (!known) onInternal(error);
  const body = JSON.stringify(
    known ? { error: known.code, message: capMessage(known.message) } : { error: 'E_INTERNAL', message: 'The server could not answer this request; its log says why' },
  );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status ?? 500, {
    ...headers,
    ...(known?.retryAfterSec !== undefined ? { 'Retry-After': String(known.retryAfterSec) } : {}),
    ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

export function notFound(message: string): HlsaudioError {
  return new HlsaudioError('E_NOT_FOUND', message);
}
