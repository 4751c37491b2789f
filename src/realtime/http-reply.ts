import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { capMessage, type ErrorCode } from '../errors.js';

/** HTTP status of each error code the event server answers an HTTP request with. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  E_AUTH: 401,
  E_FORBIDDEN: 403,
  E_MESSAGE: 400,
  E_QUOTA: 429,
  E_UNAVAILABLE: 503,
};

/** Refuses an upgrade before it happens: a plain HTTP response on the raw socket, then close. */
export function refuseUpgrade(socket: Duplex, status: number, body: { error: string; message: string } | undefined, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body ? JSON.stringify({ ...body, message: capMessage(body.message) }) : '';
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Connection: close',
    ...(body ? ['Content-Type: application/json; charset=utf-8'] : []),
    `Content-Length: ${Buffer.byteLength(text)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/** A JSON answer on an ordinary request, in the `{error, message}` form the HTTP server uses for errors (the message capped). */
export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const message = (body as { message?: unknown } | null)?.message;
  const text = JSON.stringify(typeof message === 'string' ? { ...(body as object), message: capMessage(message) } : body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The bearer token of an `Authorization` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}
