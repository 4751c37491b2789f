import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawErrorResponse } from '../http/reply.js';

/** Refuses an upgrade before it happens: the one JSON error answer (http/reply.ts) on the raw socket, then close. */
export function refuseUpgrade(socket: Duplex, status: number, error: { code: string; message: string } | undefined, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(rawErrorResponse(status, error, headers));
}

/** The bearer token of an `Authorization` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}
