import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { describe, expect, test } from 'vitest';
import { SqlitePlaylistStore, STATS_FILE } from '../../src/realtime/index.js';
import { CLOSE_CODES, type CommandResponse, type RateLimitWarning } from '../../src/realtime/protocol.js';
import { connect, delay, startRealtime, startRealtimePerTest, type TestClient, until } from '../helpers/realtime.js';
import { tempDir } from '../helpers/temp.js';
import { logTo } from '../../src/log.js';

const start = startRealtimePerTest();

/** The client's TCP socket: pausing it stops reading, as a stalled client does. */
function tcp(client: TestClient): Duplex {
  return (client.socket as unknown as { _socket: Duplex })._socket;
}

describe('message size', () => {
  test('a message over wsMaxMessageBytes is answered unread, with its command_id; the connection stays open', async () => {
    const { wsUrl } = await start({ options: { wsMaxMessageBytes: 1024 } });
    const client = await connect(wsUrl, { user_id: 'big' });
    const text = JSON.stringify({ command: 'Subscribe', command_id: 'huge-1', events: Array(200).fill('TrackLiked') });
    client.sendRaw(text);
    const response = (await client.waitFor((event) => event.event === 'CommandResponse')) as CommandResponse;
    expect(response).toEqual({
      event: 'CommandResponse',
      command_id: 'huge-1',
      success: false,
      data: { code: 'E_MESSAGE', field: null },
      error: `message of ${Buffer.byteLength(text)} bytes is larger than the 1024-byte limit; it was not read`,
    });
    expect(await client.command({ command: 'Ping' })).toMatchObject({ success: true });
  });

  test('a frame over wsMaxPayloadBytes closes the connection with 1009', async () => {
    const { wsUrl } = await start({ options: { wsMaxMessageBytes: 1024, wsMaxPayloadBytes: 4096 } });
    const client = await connect(wsUrl, { user_id: 'huge' });
    client.sendRaw('x'.repeat(5000));
    expect((await client.closed).code).toBe(CLOSE_CODES.messageTooBig);
  });
});

describe('command rate', () => {
  test('RateLimitWarning comes before commands are dropped; a dropped command is not answered; the bucket refills with time', async () => {
    let now = 1_000_000;
    const { wsUrl, realtime } = await start({ deps: { now: () => now }, options: { wsCommandRatePerSec: 5, wsCommandBurst: 10, wsRateLimitWarnRemaining: 3 } });
    const client = await connect(wsUrl, { user_id: 'flood' });
    const responses: CommandResponse[] = [];
    for (let i = 1; i <= 10; i++) responses.push(await client.command({ command: 'Ping', command_id: `p${i}` }));
    expect(responses.every((response) => response.success)).toBe(true);
    // Over the limit: dropped unread, no CommandResponse (issue 9); the first drop says so once.
    client.sendRaw(JSON.stringify({ command: 'Ping', command_id: 'p11' }));
    client.sendRaw(JSON.stringify({ command: 'Ping', command_id: 'p12' }));
    await until(() => realtime.manager.getStats().rate_limited_commands === 2);
    const warnings = client.named('RateLimitWarning');
    expect(warnings).toEqual([
      { event: 'RateLimitWarning', remaining_requests: 3, reset_time_seconds: 2 },
      { event: 'RateLimitWarning', remaining_requests: 0, reset_time_seconds: 2 },
    ]);
    // The first, with the command that left 3 tokens, just before its response.
    expect(client.events.indexOf(warnings[0]!)).toBe(client.events.findIndex((event) => event.event === 'CommandResponse' && event.command_id === 'p7') - 1);
    now += 2000;
    expect(await client.command({ command: 'Ping', command_id: 'later' })).toMatchObject({ success: true });
    expect(client.named('CommandResponse').map((response) => response.command_id)).not.toContain('p11');
    for (let i = 0; i < 6; i++) await client.command({ command: 'Ping' });
    expect(client.named('RateLimitWarning')).toHaveLength(3);
    expect((client.named('RateLimitWarning')[2] as RateLimitWarning).remaining_requests).toBe(3);
  });
});

describe('connections', () => {
  test('beyond wsMaxConnections an upgrade gets 503 with Retry-After', async () => {
    const { wsUrl, realtime } = await start({ options: { wsMaxConnections: 2 } });
    const first = await connect(wsUrl, { user_id: 'a' });
    await connect(wsUrl, { user_id: 'b' });
    const refused = (await connect(wsUrl, { user_id: 'c' }).catch((error: unknown) => error)) as { status: number; body: string; headers: Record<string, string> };
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: 'E_UNAVAILABLE', message: 'the event server holds its maximum of 2 connections' });
    expect(refused.headers['retry-after']).toBe('5');
    await first.close();
    await until(() => realtime.manager.size === 1);
    await connect(wsUrl, { user_id: 'c' });
  });

  test('upgrades of other paths are left to their own listener, or get 404 when there is none', async () => {
    const { server, httpUrl } = await start();
    const wsBase = httpUrl.replace('http', 'ws');
    expect(((await connect(`${wsBase}/elsewhere`).catch((error: unknown) => error)) as { status: number }).status).toBe(404);
    const other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => ws.send('other server'));
    });
    const client = new WebSocket(`${wsBase}/other`);
    const first = await new Promise<string>((resolve, reject) => {
      client.once('message', (data) => resolve(data.toString()));
      client.once('error', reject);
    });
    expect(first).toBe('other server');
    client.close();
    other.close();
    await connect(`${wsBase}/api/ws`);
  });
});

describe('slow consumers', () => {
  test('a client that stops reading is dropped with 4001 while the others get every message', async () => {
    const { wsUrl, realtime } = await start({ options: { wsMaxBufferedBytes: 256 * 1024, wsCloseTimeoutMs: 5000 } });
    const slow = await connect(wsUrl, { user_id: 'slow' });
    const fast = await connect(wsUrl, { user_id: 'fast' });
    for (const client of [slow, fast]) await client.command({ command: 'Subscribe', events: ['ServerMessage'] });
    tcp(slow).pause();
    const payload = 'x'.repeat(16 * 1024);
    let sent = 0;
    while (realtime.manager.getStats().slow_consumer_disconnects === 0) {
      if (sent > 5000) throw new Error('the stalled client was never dropped');
      for (let i = 0; i < 20; i++, sent++) realtime.manager.broadcastEvent({ event: 'ServerMessage', message: `${sent} ${payload}`, level: 'Info' });
      await delay(5);
    }
    for (let i = 0; i < 20; i++, sent++) realtime.manager.broadcastEvent({ event: 'ServerMessage', message: `${sent} ${payload}`, level: 'Info' });
    await until(() => fast.named('ServerMessage').length === sent, 5000, 'the fast client to get every message');
    tcp(slow).resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(CLOSE_CODES.slowConsumer);
    expect(closed.reason).toMatch(/^slow consumer: \d+ bytes unread$/);
    expect(slow.named('ServerMessage').length).toBeLessThan(sent);
    await until(() => realtime.manager.size === 1, 3000, 'the server to forget the slow client');
  });
});

describe('heartbeat and idle connections', () => {
  test('a client that answers pings stays; one that does not is terminated', async () => {
    const { wsUrl, realtime } = await start({ options: { wsHeartbeatIntervalMs: 50 } });
    const alive = await connect(wsUrl, { user_id: 'alive' });
    const mute = new WebSocket(`${wsUrl}?user_id=mute`, { autoPong: false });
    const muteClosed = new Promise<number>((resolve) => mute.on('close', (code) => resolve(code)));
    await new Promise((resolve) => mute.once('open', resolve));
    expect(await muteClosed).toBe(1006);
    expect(realtime.manager.getStats().heartbeat_timeouts).toBe(1);
    await delay(200);
    expect(alive.socket.readyState).toBe(WebSocket.OPEN);
  });

  test('a connection that sends nothing for wsIdleTimeoutMs is closed with 4000; pongs do not count', async () => {
    const { wsUrl, realtime } = await start({ options: { wsIdleTimeoutMs: 300, wsHeartbeatIntervalMs: 40 } });
    const idle = await connect(wsUrl, { user_id: 'idle' });
    const busy = await connect(wsUrl, { user_id: 'busy' });
    const pinging = setInterval(() => void busy.command({ command: 'Ping' }), 50);
    try {
      expect(await idle.closed).toEqual({ code: CLOSE_CODES.idle, reason: 'idle for more than 300 ms' });
      await delay(200);
      expect(busy.socket.readyState).toBe(WebSocket.OPEN);
      expect(realtime.manager.getStats().idle_disconnects).toBe(1);
    } finally {
      clearInterval(pinging);
    }
  });

  test('cleanup_inactive_connections closes those idle longer than asked and says how many', async () => {
    let now = 5_000_000;
    const { wsUrl, realtime } = await start({ deps: { now: () => now } });
    const old = await connect(wsUrl, { user_id: 'old' });
    now += 10_000;
    const fresh = await connect(wsUrl, { user_id: 'fresh' });
    expect(realtime.manager.cleanupInactiveConnections(5_000)).toBe(1);
    expect((await old.closed).code).toBe(CLOSE_CODES.idle);
    expect(await fresh.command({ command: 'Ping' })).toMatchObject({ success: true });
  });
});

describe('shutdown and restart', () => {
  test('close() sends 1001, refuses upgrades meanwhile, waits at most wsShutdownTimeoutMs, writes stats, and leaves playlists stored', async () => {
    const harness = await start({ options: { wsShutdownTimeoutMs: 800, wsCloseTimeoutMs: 5000 } });
    const listener = await connect(harness.wsUrl, { user_id: 'stays' });
    const stalled = await connect(harness.wsUrl, { user_id: 'stalled' });
    await listener.command({ command: 'AddToPlaylist', playlist_id: 'late', track_id: 'song-a' });
    tcp(stalled).pause();
    const started = Date.now();
    const closing = harness.realtime.close();
    expect(await listener.closed).toEqual({ code: CLOSE_CODES.goingAway, reason: 'server shutting down' });
    const refused = (await connect(harness.wsUrl).catch((error: unknown) => error)) as { status: number; body: string };
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: 'E_UNAVAILABLE', message: 'the event server is shutting down' });
    const stats = await closing;
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stats).toMatchObject({ total_connections: 2, current_connections: 0, refused_upgrades: 1 });
    expect(JSON.parse(readFileSync(join(harness.dataDir, STATS_FILE), 'utf8'))).toMatchObject({ total_connections: 2, messages_received: 1, closed_at: expect.any(String) });
    const stored = SqlitePlaylistStore.open(harness.dataDir, { maxTracks: 10, maxCount: 10, maxPerUser: 0, maxPerAddress: 0 }, logTo(() => {}));
    expect(await stored.get('late')).toMatchObject({ owner: 'stays', tracks: ['song-a'] });
    await stored.close();
    tcp(stalled).resume();
  });

  test('playlists survive a restart, with their owner', async () => {
    const dataDir = tempDir();
    const before = await startRealtime({ dataDir });
    const owner = await connect(before.wsUrl, { user_id: 'keeper' });
    for (const track_id of ['song-a', 'song-b', 'song-c']) await owner.command({ command: 'AddToPlaylist', playlist_id: 'road-trip', track_id });
    await owner.command({ command: 'RemoveFromPlaylist', playlist_id: 'road-trip', track_id: 'song-b' });
    await before.stop();
    const after = await start({ dataDir });
    const again = await connect(after.wsUrl, { user_id: 'keeper' });
    expect(await again.command({ command: 'AddToPlaylist', playlist_id: 'road-trip', track_id: 'song-c', position: 0 })).toMatchObject({
      success: true,
      data: { action: 'Reordered', position: 0, track_count: 2 },
    });
    expect(await again.command({ command: 'RemoveFromPlaylist', playlist_id: 'road-trip', track_id: 'song-b' })).toMatchObject({ success: false, data: { code: 'E_PLAYLIST' } });
    const intruder = await connect(after.wsUrl, { user_id: 'intruder' });
    expect(await intruder.command({ command: 'RemoveFromPlaylist', playlist_id: 'road-trip', track_id: 'song-a' })).toMatchObject({ success: false, data: { code: 'E_FORBIDDEN' } });
  });
});
