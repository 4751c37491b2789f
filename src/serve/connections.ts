import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { addressKey } from '../client-address.js';
import type { ErrorCode } from '../errors.js';
import { rawErrorResponse } from '../http/reply.js';
import { httpStatusOf } from '../http/status.js';
import { Tally } from '../tally.js';
import type { TrustedProxies } from '../trusted-proxies.js';
import type { ServeOptions } from './context.js';

/**
 * What the HTTP server does with connections before any route sees them: how many it holds, and how
 * it answers a request Node's parser refused or timed out. One client must not hold the descriptors
 * that the others need: a refused or timed-out socket is destroyed, never left half-closed.
 */

/**
 * Caps TCP connections: `maxConnections` in all (Node's own `server.maxConnections`, which closes a
 * connection beyond it before any JavaScript object is made for it) and `maxConnectionsPerAddress`
 * per remote address (client-address.ts key), counted from `connection` to `close`; one more is
 * destroyed at once, unanswered. WebSocket connections are the same sockets: they count too.
 * A trusted proxy's connections (`--trust-proxy`) carry many clients, which no request has named
 * yet at this point: they are left out of the per-address count (the total still holds), and the
 * per-client limits apply to the address each request names (client-address.ts).
 */
export function limitConnections(server: Server, limits: Pick<ServeOptions, 'maxConnections' | 'maxConnectionsPerAddress'>, trusted: TrustedProxies | undefined): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  const perAddress = limits.maxConnectionsPerAddress;
  if (perAddress <= 0) return;
  const held = new Tally();
  server.on('connection', (socket: Socket) => {
    if (trusted?.contains(socket.remoteAddress)) return;
    const key = addressKey(socket.remoteAddress);
    if (held.count(key) >= perAddress) {
      socket.destroy();
      return;
    }
    held.add(key);
    socket.once('close', () => held.remove(key));
  });
}

/**
 * Node's `clientError`: a request its parser refused or that did not arrive in time. Answered with
 * JSON `{error, message}` (408 when headersTimeout or requestTimeout passed, 431 for headers over
 * Node's 16 KiB, 400 otherwise) and destroyed once the answer is written: `end()` alone leaves the
 * socket half-closed, held until the client closes its side, which a slowloris never does.
 */
export function clientErrorHandler(timeouts: Pick<ServeOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>): (error: NodeJS.ErrnoException, socket: Duplex) => void {
  return (error, socket) => {
    // A response already started on this socket (a pipelined request gone bad): nothing may be added to it.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!socket.writable || answering || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [code, message]: [ErrorCode, string] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['E_REQUEST_TIMEOUT', `The request did not arrive in time: headers are awaited ${timeouts.headersTimeoutMs} ms, a whole request ${timeouts.requestTimeoutMs} ms`]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? ['E_HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts (16 KiB)']
          : ['E_BAD_REQUEST', 'Malformed HTTP request'];
    (socket as Socket).end(rawErrorResponse(httpStatusOf(code) ?? 400, { code, message }));
    (socket as Socket).destroySoon();
  };
}
