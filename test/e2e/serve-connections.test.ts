import { connect as tcpConnect, type Socket } from 'node:net';
import { Agent } from 'node:http';
import { describe, expect, test } from 'vitest';
import { request } from '../helpers/serve.js';
import { startApp } from '../helpers/serve-app.js';
import { until } from '../helpers/realtime.js';

/**
 * Issue 9, point 2: a slowloris got a 400 and a half-close, and kept its descriptor; nothing capped
 * the sockets one address may hold. These run the real server (startServeApp) with short timeouts.
 */
const TIMEOUTS = { headersTimeoutMs: 400, requestTimeoutMs: 800, connectionsCheckIntervalMs: 100 };

interface Peer {
  socket: Socket;
  /** What the server sent, as text. */
  received: () => string;
  /** Resolves when the server has closed its side (FIN or reset); ours stays open (allowHalfOpen), as a slowloris keeps it. */
  closed: Promise<void>;
}

/** A raw TCP client, from `localAddress` (any 127.0.0.0/8 address is this machine). */
function peer(port: number, localAddress = '127.0.0.1', first = ''): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress, allowHalfOpen: true });
    let text = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
    const closed = new Promise<void>((done) => {
      socket.once('end', () => done());
      socket.once('close', () => done());
    });
    socket.once('error', () => {});
    socket.once('connect', () => {
      if (first) socket.write(first);
      resolve({ socket, received: () => text, closed });
    });
    socket.once('error', reject);
  });
}

/** Sockets the HTTP server holds now. */
function held(server: import('node:http').Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

function jsonBody(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

describe('requests that do not arrive', () => {
  test('a slowloris trickling headers is answered 408 and its socket destroyed; an idle socket too', async () => {
    const { app } = await startApp(TIMEOUTS);
    const { port } = app.hls.server.address() as { port: number };
    const slow = await peer(port, '127.0.0.1', 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.socket.write('X-Slow: 1\r\n'), 50);
    const idle = await peer(port);
    try {
      await Promise.all([slow.closed, idle.closed]);
    } finally {
      clearInterval(trickle);
    }
    for (const one of [slow, idle]) {
      expect(one.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(jsonBody(one.received())).toEqual({ error: 'E_REQUEST_TIMEOUT', message: 'The request did not arrive in time: headers are awaited 400 ms, a whole request 800 ms' });
    }
    // Destroyed, not half-closed: the server holds nothing although neither client closed its side.
    expect(await held(app.hls.server)).toBe(0);
    for (const one of [slow, idle]) one.socket.destroy();
  });

  test('headers over 16 KiB get 431, a missing Host our JSON 400, and both sockets are destroyed', async () => {
    const { app } = await startApp(TIMEOUTS);
    const { port } = app.hls.server.address() as { port: number };
    const big = await peer(port, '127.0.0.1', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const hostless = await peer(port, '127.0.0.1', 'GET /healthz HTTP/1.1\r\n\r\n');
    await Promise.all([big.closed, hostless.closed]);
    expect(big.received()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(jsonBody(big.received())).toEqual({ error: 'E_HEADERS_TOO_LARGE', message: 'The request headers are larger than the server accepts (16 KiB)' });
    expect(hostless.received()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(jsonBody(hostless.received())).toEqual({ error: 'E_BAD_REQUEST', message: 'An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)' });
    await until(() => big.socket.readableEnded && hostless.socket.readableEnded);
    expect(await held(app.hls.server)).toBe(0);
    for (const one of [big, hostless]) one.socket.destroy();
  });

  test('a kept-alive connection idle longer than headersTimeoutMs still serves its next request', async () => {
    const { app } = await startApp({ ...TIMEOUTS, keepAliveTimeoutMs: 5000 });
    const { port } = app.hls.server.address() as { port: number };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await request(port, 'GET', '/healthz', { agent })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const again = await request(port, 'GET', '/healthz', { agent });
      expect(again.status).toBe(200);
      expect(again.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});

describe('connection caps', () => {
  test('one address holding maxConnectionsPerAddress idle sockets does not starve the others', async () => {
    const { app, base } = await startApp({ maxConnectionsPerAddress: 5, headersTimeoutMs: 30_000, requestTimeoutMs: 30_000 });
    const { port } = app.hls.server.address() as { port: number };
    const hoard = await Promise.all(Array.from({ length: 5 }, () => peer(port, '127.0.0.2')));
    await until(() => true);
    // The server has counted them once it holds them.
    for (let i = 0; i < 50 && (await held(app.hls.server)) < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await peer(port, '127.0.0.2');
    await refused.closed;
    expect(refused.received()).toBe('');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const one of hoard) expect(one.socket.destroyed).toBe(false);
    hoard[0]!.socket.destroy();
    for (let i = 0; i < 100 && (await held(app.hls.server)) > 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const later = await peer(port, '127.0.0.2', 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await later.closed;
    expect(later.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    for (const one of hoard) one.socket.destroy();
  });

  test('beyond maxConnections in all, a connection is closed at once', async () => {
    const { app } = await startApp({ maxConnections: 3, headersTimeoutMs: 30_000, requestTimeoutMs: 30_000 });
    const { port } = app.hls.server.address() as { port: number };
    const hoard = await Promise.all(['127.0.0.3', '127.0.0.4', '127.0.0.5'].map((address) => peer(port, address)));
    const refused = await peer(port, '127.0.0.6', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await refused.closed;
    expect(refused.received()).toBe('');
    for (const one of hoard) one.socket.destroy();
  });
});
