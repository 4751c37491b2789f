import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import * as ws from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { TextFrame, writeFrame } from '../../../src/realtime/ws-frame.js';

/** ws's own framing, exported by its ESM entry though its typings leave it out. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } };

/**
 * ws-frame.ts writes to ws's socket past ws's public API. These tests pin what it relies on, so that
 * a ws upgrade that changes any of it fails here rather than reordering frames in production.
 */

const opened: { http: Server; client: WebSocket }[] = [];

afterEach(async () => {
  for (const { http, client } of opened.splice(0)) {
    client.terminate();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

/** A ws server socket and the ws client at the other end, on loopback; the client records the text of each message. */
async function pair(): Promise<{ server: WebSocket; client: WebSocket; received: string[]; next: (count: number) => Promise<string[]> }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, { perMessageDeflate: false });
  opened.push({ http, client });
  const received: string[] = [];
  const waiters: { count: number; resolve: (messages: string[]) => void }[] = [];
  client.on('message', (data) => {
    received.push(data.toString());
    for (const waiter of waiters.filter((waiter) => received.length >= waiter.count)) waiter.resolve(received.slice());
  });
  await new Promise((resolve) => client.once('open', resolve));
  return {
    server: await server,
    client,
    received,
    next: (count) => (received.length >= count ? Promise.resolve(received.slice()) : new Promise((resolve) => waiters.push({ count, resolve }))),
  };
}

describe('TextFrame', () => {
  test.each([0, 1, 125, 126, 127, 65_535, 65_536, 70_000])('a %i-byte text frames as ws frames it', (length) => {
    const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2);
    const { frame, payload } = new TextFrame(text);
    const wsFrame = Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
    expect(frame.equals(wsFrame)).toBe(true);
    expect(payload.toString('utf8')).toBe(text);
  });
});

describe('writeFrame on ws 8 internals', () => {
  test('writes to an idle open socket: the client reads the message, after what ws sent before', async () => {
    const { server, next } = await pair();
    server.send('by ws');
    expect(writeFrame(server, new TextFrame('by writeFrame'))).toBe(true);
    server.send('by ws again');
    expect(await next(3)).toEqual(['by ws', 'by writeFrame', 'by ws again']);
  });

  test('refuses while ws reads a Blob it was given, so the caller\'s ws.send keeps the order', async () => {
    const { server, next } = await pair();
    server.send(new Blob(['blob first']));
    expect(writeFrame(server, new TextFrame('must not overtake'))).toBe(false);
    server.send('then this');
    expect(await next(2)).toEqual(['blob first', 'then this']);
  });

  test('refuses inside a fragmented message', async () => {
    const { server, next } = await pair();
    server.send('half ', { fin: false });
    expect(writeFrame(server, new TextFrame('inside'))).toBe(false);
    server.send('whole', { fin: true });
    expect(await next(1)).toEqual(['half whole']);
  });

  test('refuses once ws is closing', async () => {
    const { server, client } = await pair();
    server.close(1000, 'bye');
    expect(writeFrame(server, new TextFrame('after close'))).toBe(false);
    const closed = await new Promise<number>((resolve) => client.once('close', resolve));
    expect(closed).toBe(1000);
  });

  test('bufferedAmount counts the bytes it wrote that the client has not taken', async () => {
    const { server, client } = await pair();
    (client as unknown as { _socket: Socket })._socket.pause();
    const frame = new TextFrame('x'.repeat(64 * 1024));
    let written = 0;
    const stream = (server as unknown as { _socket: Socket })._socket;
    while (stream.writableLength === 0) {
      expect(writeFrame(server, frame)).toBe(true);
      written += frame.frame.length;
      if (written > 256 * 1024 * 1024) throw new Error('the kernel never stopped taking bytes');
    }
    expect(server.bufferedAmount).toBe(stream.writableLength);
    expect(server.bufferedAmount).toBeGreaterThan(0);
  });
});
