import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { RealtimeConnection } from '../../src/realtime/connection.js';
import type { WebSocketManager } from '../../src/realtime/manager.js';
import { CLOSE_CODES, type ServerEvent } from '../../src/realtime/protocol.js';
import { delay, startRealtimePerTest, until } from '../helpers/realtime.js';

/**
 * A broadcast is framed once and the same bytes written to every socket (ws-frame.ts). These clients
 * speak WebSocket over a bare TCP socket and check every byte the server writes: each frame whole
 * and well formed, the messages exactly the events in broadcast order, pings answered in between,
 * and nothing at all after a close frame.
 */

const start = startRealtimePerTest();

const OPCODE = { text: 1, close: 8, ping: 9, pong: 10 } as const;

interface Frame {
  opcode: number;
  payload: Buffer;
}

class RawClient {
  readonly frames: Frame[] = [];
  /** Every text message, decoded as it came. */
  readonly allTexts: string[] = [];
  /** What broke the framing rules, if anything. */
  readonly faults: string[] = [];
  /** Bytes that came after the server's close frame. */
  bytesAfterClose = 0;
  readonly ended: Promise<void>;
  private pending = Buffer.alloc(0);
  private closeSeen = false;
  private closeSent = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, userId: string): Promise<RawClient> {
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      `GET /api/ws?user_id=${userId} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let head = Buffer.alloc(0);
    while (head.indexOf('\r\n\r\n') === -1) head = Buffer.concat([head, await new Promise<Buffer>((resolve) => socket.once('data', resolve))]);
    const end = head.indexOf('\r\n\r\n') + 4;
    expect(head.subarray(0, end).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    const client = new RawClient(socket);
    if (end < head.length) client.read(head.subarray(end));
    return client;
  }

  /** A client's frame: FIN, masked, as RFC 6455 requires of clients. */
  sendFrame(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
    const header = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  command(command: Record<string, unknown>): void {
    this.sendFrame(OPCODE.text, Buffer.from(JSON.stringify(command)));
  }

  close(code: number): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.closeSent = true;
    this.sendFrame(OPCODE.close, payload);
  }

  /** The text messages of one event name, as the exact text the server wrote. */
  texts(name: string): string[] {
    return this.allTexts.filter((text) => text.startsWith(`{"event":"${name}"`));
  }

  closeFrame(): { code: number; reason: string } | undefined {
    const frame = this.frames.find((candidate) => candidate.opcode === OPCODE.close);
    return frame && { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
  }

  private read(chunk: Buffer): void {
    if (this.closeSeen) {
      this.bytesAfterClose += chunk.length;
      return;
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2 && !this.closeSeen) {
      const [first, second] = [this.pending[0]!, this.pending[1]!];
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.pending.length < 4) return;
        length = this.pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.pending.length < 10) return;
        length = Number(this.pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.pending.length < offset + length) return;
      const opcode = first & 0x0f;
      if ((first & 0xf0) !== 0x80) this.faults.push(`frame ${this.frames.length}: first byte ${first.toString(16)} (not FIN without RSV bits)`);
      if (second & 0x80) this.faults.push(`frame ${this.frames.length}: masked by the server`);
      if (!Object.values(OPCODE).includes(opcode as never)) this.faults.push(`frame ${this.frames.length}: opcode ${opcode}`);
      const payload = this.pending.subarray(offset, offset + length);
      this.pending = this.pending.subarray(offset + length);
      this.frames.push({ opcode, payload: Buffer.from(payload) });
      if (opcode === OPCODE.text) this.allTexts.push(payload.toString('utf8'));
      if (opcode === OPCODE.ping) this.sendFrame(OPCODE.pong, payload);
      if (opcode === OPCODE.close) {
        this.closeSeen = true;
        this.bytesAfterClose += this.pending.length;
        // The closing handshake: the server ends the TCP connection once it has the client's close frame.
        if (!this.closeSent) this.close(payload.readUInt16BE(0));
      }
    }
  }
}

async function subscribed(port: number, userId: string): Promise<RawClient> {
  const client = await RawClient.open(port, userId);
  client.command({ command: 'Subscribe', command_id: 's', events: ['ServerMessage'] });
  await until(() => client.allTexts.length > 0, 3000, `${userId} to be subscribed`);
  expect(JSON.parse(client.allTexts[0]!)).toMatchObject({ event: 'CommandResponse', command_id: 's', success: true });
  return client;
}

/** The manager's open connections, to ping and close their sockets from the server side. */
function connectionsOf(manager: WebSocketManager): RealtimeConnection[] {
  return [...(manager as unknown as { connections: Map<string, RealtimeConnection> }).connections.values()];
}

const message = (seq: number, text = ''): ServerEvent => ({ event: 'ServerMessage', message: `${seq} ${text}`, level: 'Info' });

describe('one frame for every socket', () => {
  test('thirty clients get the same bytes in broadcast order between pings; one that leaves and one the server closes midway get nothing after the close frame', async () => {
    const { server, realtime } = await start();
    const port = (server.address() as { port: number }).port;
    const clients = await Promise.all(Array.from({ length: 30 }, (_, index) => subscribed(port, `listener-${index}`)));
    const leaver = await subscribed(port, 'leaver');
    const dismissed = await subscribed(port, 'dismissed');
    const sockets = connectionsOf(realtime.manager);
    const sent: string[] = [];
    /** What every listener must read, frame by frame: `text:` and `ping:` with the payload. */
    const order: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      if (batch === 8) leaver.close(1000);
      if (batch === 12) sockets.find((connection) => connection.userId === 'dismissed')!.close(CLOSE_CODES.idle, 'dismissed');
      for (let i = 0; i < 20; i++) {
        const seq = sent.length;
        // Every header length: 7-bit, 16-bit and 64-bit.
        const event = message(seq, seq === 101 ? 'x'.repeat(300) : seq === 202 ? 'y'.repeat(70_000) : '');
        realtime.manager.broadcastEvent(event);
        sent.push(JSON.stringify(event));
        order.push(`text:${JSON.stringify(event)}`);
        // ws's own frames between ours.
        if (i % 7 !== 0) continue;
        for (const connection of sockets) if (connection.socket.readyState === WebSocket.OPEN) connection.socket.ping(`${seq}`);
        order.push(`ping:${seq}`);
      }
      await delay(1);
    }
    for (const client of clients) await until(() => client.allTexts.length === 1 + sent.length, 5000, 'every client to get every broadcast');
    await Promise.all([leaver.ended, dismissed.ended]);
    for (const client of clients) {
      expect(client.faults).toEqual([]);
      const frames = client.frames.slice(1).map((frame) => `${frame.opcode === OPCODE.text ? 'text' : frame.opcode === OPCODE.ping ? 'ping' : frame.opcode}:${frame.payload.toString('utf8')}`);
      expect(frames).toEqual(order);
    }
    const gotBeforeClose = [];
    for (const [client, close] of [[leaver, { code: 1000, reason: '' }], [dismissed, { code: CLOSE_CODES.idle, reason: 'dismissed' }]] as const) {
      expect(client.faults).toEqual([]);
      expect(client.closeFrame()).toEqual(close);
      expect(client.bytesAfterClose).toBe(0);
      const got = client.texts('ServerMessage');
      expect(got).toEqual(sent.slice(0, got.length));
      expect(got.length).toBeLessThan(sent.length);
      gotBeforeClose.push(got.length);
    }
    // Every message counted is one a client read: 32 Subscribe answers and the broadcasts.
    expect(realtime.manager.getStats().messages_sent).toBe(32 + clients.length * sent.length + gotBeforeClose[0]! + gotBeforeClose[1]!);
  });

  test('a slow consumer gets an ordered prefix, then its 4001 close frame and nothing more, while the others get everything', async () => {
    const { server, realtime } = await start({ options: { wsMaxBufferedBytes: 256 * 1024, wsCloseTimeoutMs: 5000 } });
    const port = (server.address() as { port: number }).port;
    const fast = await Promise.all([0, 1, 2].map((index) => subscribed(port, `fast-${index}`)));
    const slow = await subscribed(port, 'slow');
    slow.socket.pause();
    const payload = 'z'.repeat(16 * 1024);
    const sent: string[] = [];
    const broadcast = (count: number) => {
      for (let i = 0; i < count; i++) {
        const event = message(sent.length, payload);
        realtime.manager.broadcastEvent(event);
        sent.push(JSON.stringify(event));
      }
    };
    while (realtime.manager.getStats().slow_consumer_disconnects === 0) {
      if (sent.length > 5000) throw new Error('the stalled client was never dropped');
      broadcast(20);
      await delay(5);
    }
    broadcast(20);
    for (const client of fast) await until(() => client.allTexts.length === 1 + sent.length, 5000, 'the fast clients to get every broadcast');
    slow.socket.resume();
    await slow.ended;
    for (const client of fast) {
      expect(client.faults).toEqual([]);
      expect(client.texts('ServerMessage')).toEqual(sent);
    }
    expect(slow.faults).toEqual([]);
    expect(slow.closeFrame()).toMatchObject({ code: CLOSE_CODES.slowConsumer, reason: expect.stringMatching(/^slow consumer: \d+ bytes unread$/) });
    expect(slow.bytesAfterClose).toBe(0);
    const slowGot = slow.texts('ServerMessage');
    expect(slowGot).toEqual(sent.slice(0, slowGot.length));
    expect(slowGot.length).toBeLessThan(sent.length);
    expect(realtime.manager.getStats()).toMatchObject({ slow_consumer_disconnects: 1, messages_sent: 4 + fast.length * sent.length + slowGot.length });
  });
});
