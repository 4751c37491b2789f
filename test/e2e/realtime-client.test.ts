import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { type ClientState, type PlaybackStarted, type QualityChange, type QualityChanged, RealtimeClient, RealtimeClientError } from '../../src/client/index.js';
import { type RealtimeHarness, startRealtime, until } from '../helpers/realtime.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const harnesses: RealtimeHarness[] = [];
const clients: RealtimeClient[] = [];
async function start(...args: Parameters<typeof startRealtime>): Promise<RealtimeHarness> {
  const harness = await startRealtime(...args);
  harnesses.push(harness);
  return harness;
}
function client(options: ConstructorParameters<typeof RealtimeClient>[0]): RealtimeClient {
  const created = new RealtimeClient({ reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
  clients.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((each) => each.close()));
  await Promise.all(harnesses.splice(0).map((harness) => harness.stop()));
});

/** A bare ws server that accepts and never answers: for timeouts and drops. */
async function silentServer(onConnection: (socket: import('ws').WebSocket) => void = () => {}) {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws`,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('RealtimeClient', () => {
  test('send settles with the matching CommandResponse; typed listeners get the events', async () => {
    const { wsUrl } = await start();
    const player = client({ url: wsUrl, userId: 'ana' });
    await player.connect();
    expect(player.state).toBe('open');
    const started: PlaybackStarted[] = [];
    player.on('PlaybackStarted', (event) => started.push(event));
    await player.subscribe(['PlaybackStarted'], { user_id: 'ana' });
    const response = await player.send({ command: 'Play', track_id: 'song-a' });
    expect(response).toMatchObject({ event: 'CommandResponse', success: true, data: { track_duration_ms: 210000, quality: 'high' }, error: null });
    expect(response.command_id).toMatch(/^[a-z0-9]+-\d+$/);
    expect(started).toEqual([{ event: 'PlaybackStarted', track_id: 'song-a', user_id: 'ana', timestamp: expect.any(Number) }]);
    expect(await player.ping()).toMatchObject({ success: true, data: { pong: true } });
    expect(await player.send({ command: 'GetStatus', command_id: 'mine' })).toMatchObject({ command_id: 'mine', success: true });
  });

  test('a failed command rejects with the server\'s message and code', async () => {
    const { wsUrl } = await start();
    const player = client({ url: wsUrl, userId: 'ana' });
    await player.connect();
    const error = (await player.send({ command: 'Play', track_id: 'nope' }).catch((caught: unknown) => caught)) as RealtimeClientError;
    expect(error).toBeInstanceOf(RealtimeClientError);
    expect(error).toMatchObject({ code: 'E_COMMAND_FAILED', message: 'unknown track_id "nope": the catalog has no such track', serverCode: 'E_UNKNOWN_TRACK' });
    expect(error.response).toMatchObject({ success: false, data: { code: 'E_UNKNOWN_TRACK', field: 'track_id' } });
  });

  test('no response within commandTimeoutMs rejects; a dropped connection rejects what is in flight', async () => {
    const silent = await silentServer((socket) => socket.on('message', (data) => String(data).includes('drop-me') && socket.terminate()));
    try {
      const player = client({ url: silent.url, commandTimeoutMs: 100, reconnect: false });
      await expect(player.ping()).rejects.toMatchObject({ code: 'E_NOT_CONNECTED', message: 'cannot send Ping: the connection is idle' });
      await player.connect();
      await expect(player.send({ command: 'Ping', command_id: 'slow-1' })).rejects.toMatchObject({ code: 'E_COMMAND_TIMEOUT', message: 'Ping slow-1: no response within 100 ms' });
      await expect(player.send({ command: 'Ping', command_id: 'drop-me' })).rejects.toMatchObject({ code: 'E_CONNECTION_CLOSED' });
      expect(player.state).toBe('closed');
    } finally {
      await silent.close();
    }
  });

  test('after the server drops it, it reconnects with backoff and subscribes again with its filters', async () => {
    const { wsUrl, realtime } = await start();
    const fan = client({ url: wsUrl, userId: 'fan' });
    const states: ClientState[] = [];
    fan.onState((state) => states.push(state));
    await fan.connect();
    await fan.subscribe(['TrackLiked'], { user_id: 'star' });
    await fan.subscribe(['ServerMessage']);
    realtime.manager.cleanupInactiveConnections(0);
    await until(() => states.includes('reconnecting'), 3000, 'the client to notice');
    await until(() => fan.state === 'open' && realtime.manager.size === 1, 3000, 'the client to reconnect');
    // The Subscribe commands went out on open, before this one, on the same socket.
    const status = await fan.send({ command: 'GetStatus' });
    expect((status.data as { subscriptions: unknown }).subscriptions).toEqual({ TrackLiked: { user_id: 'star' }, ServerMessage: null });
    const liked: unknown[] = [];
    fan.on('TrackLiked', (event) => liked.push(event));
    realtime.manager.broadcastEvent({ event: 'TrackLiked', track_id: 'song-a', user_id: 'someone', total_likes: 1 });
    realtime.manager.broadcastEvent({ event: 'TrackLiked', track_id: 'song-a', user_id: 'star', total_likes: 2 });
    await until(() => liked.length === 1, 1000, 'the filtered event');
    await fan.ping();
    expect(liked).toEqual([{ event: 'TrackLiked', track_id: 'song-a', user_id: 'star', total_likes: 2 }]);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  test('the token function is asked again on reconnection, so an expired token is renewed', async () => {
    const { wsUrl } = await start({ options: { jwtSecret: SECRET, jwtClockToleranceSec: 0 } });
    let issued = 0;
    const token = () => {
      issued++;
      // The first token expires in 1 to 2 s; the next ones last.
      const expires = Math.floor(Date.now() / 1000) + (issued === 1 ? 2 : 3600);
      return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ana').setExpirationTime(expires).sign(new TextEncoder().encode(SECRET));
    };
    const player = client({ url: wsUrl, token });
    const closes: (number | undefined)[] = [];
    player.onState((state, detail) => state === 'reconnecting' && closes.push(detail.code));
    await player.connect();
    await until(() => closes.length === 1 && player.state === 'open', 4000, 'the expiry and the reconnection');
    expect(closes).toEqual([4003]);
    expect(issued).toBe(2);
    expect(await player.send({ command: 'GetStatus' })).toMatchObject({ data: { connection: { user_id: 'ana', authenticated: true } } });
  });

  test('quality changes of its session reach on(\'QualityChanged\'), typed', async () => {
    let emit: (change: QualityChange) => void = () => {};
    const { wsUrl } = await start({ deps: { sessions: { qualityFor: () => undefined, onQualityChange: (listener) => ((emit = listener), () => {}) } } });
    const player = client({ url: wsUrl, userId: 'ana', sessionId: 'sess-9' });
    const received: QualityChanged[] = [];
    player.on('QualityChanged', (event) => received.push(event));
    await player.connect();
    const change: QualityChange = {
      session_id: 'sess-9',
      track_id: 'song-a',
      user_id: 'ana',
      from_quality: 'high',
      to_quality: 'mobile',
      direction: 'down',
      reason: 'rebuffer',
      master_url: '/hls/song-a/master.m3u8?session=sess-9',
      timestamp: 1_767_225_600_000,
    };
    emit(change);
    await until(() => received.length === 1, 1000, 'the quality change');
    expect(received).toEqual([{ event: 'QualityChanged', ...change }]);
  });

  test('connect() rejects when the upgrade is refused and reconnection is off; close() stops for good', async () => {
    const { wsUrl, realtime } = await start({ options: { jwtSecret: SECRET } });
    const refused = client({ url: wsUrl, token: 'bad', reconnect: false });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'E_CONNECT_FAILED' });
    expect(refused.state).toBe('closed');
    const limited = client({ url: wsUrl, token: 'bad', reconnect: { initialDelayMs: 10, maxAttempts: 2 } });
    const states: ClientState[] = [];
    limited.onState((state) => states.push(state));
    await expect(limited.connect()).rejects.toMatchObject({ code: 'E_CONNECT_FAILED' });
    expect(states).toEqual(['connecting', 'reconnecting', 'reconnecting', 'closed']);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ana').sign(new TextEncoder().encode(SECRET));
    const player = client({ url: wsUrl, token });
    await player.connect();
    await player.close();
    expect(player.state).toBe('closed');
    await until(() => realtime.manager.size === 0, 1000, 'the server to see the close');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(realtime.manager.size).toBe(0);
  });
});
