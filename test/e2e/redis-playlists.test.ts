import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTo } from '../../src/log.js';
import { LEGACY_PLAYLISTS_FILE, SqlitePlaylistStore } from '../../src/realtime/playlists.js';
import type { CommandResponse, ServerEvent } from '../../src/realtime/protocol.js';
import { connect, type TestClient, until } from '../helpers/realtime.js';
import { type RedisServer, startRedis, twoNodesOnRedis } from '../helpers/redis.js';
import { OUT, startApp, TRACK } from '../helpers/serve-app.js';
import { request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Server playlists under `serve --redis`: real `serve` nodes (CLI processes, or startServeApp in
 * this process where a test needs small quotas) sharing one real redis-server started here.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ENV = { HLSAUDIO_JWT_SECRET: SECRET };

afterAll(stopServers);

function token(subject: string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

function startNode(redis: RedisServer, dataDir = tempDir('hlsaudio-node-')): Promise<RunningServer> {
  return startServe(OUT, ['--redis', redis.url, '--data-dir', dataDir, '--db', join(dataDir, 'analytics.db')], ENV);
}

async function user(port: number, name: string): Promise<TestClient> {
  const connection = await connect(`ws://127.0.0.1:${port}/api/ws`, { token: await token(name) });
  expect((await connection.command({ command: 'Subscribe', events: ['PlaylistUpdated'], filters: {} })).success).toBe(true);
  return connection;
}

const updates = (connection: TestClient) => connection.named('PlaylistUpdated').map(({ action, track_id, position }) => ({ action, track_id, position }));
const responses = (connection: TestClient) => connection.named('CommandResponse');
const codeOf = (response: CommandResponse) => (response.data as { code: string }).code;

describe('serve --redis: playlists shared by two nodes', () => {
  const nodes = twoNodesOnRedis(startNode);

  it('a user adds on node A and removes on node B; PlaylistUpdated reaches that user on both nodes, and nobody else', async () => {
    const { a, b } = nodes;
    const [aliceOnA, aliceOnB, bobOnB] = await Promise.all([user(a.port, 'alice'), user(b.port, 'alice'), user(b.port, 'bob')]);
    expect(await aliceOnA.command({ command: 'AddToPlaylist', playlist_id: 'road', track_id: TRACK })).toMatchObject({
      success: true,
      data: { playlist_id: 'road', action: 'Added', position: 0, track_count: 1 },
    });
    // The owner is alice, whichever node is asked.
    const forbidden = await bobOnB.command({ command: 'AddToPlaylist', playlist_id: 'road', track_id: TRACK });
    expect(forbidden).toMatchObject({ success: false, data: { code: 'E_FORBIDDEN', field: 'playlist_id' }, error: 'playlist road belongs to another user' });
    // A publisher's PlaylistUpdated on node B goes to the owner, looked up in Redis.
    const published = await request(b.port, 'POST', '/api/events', {
      headers: { authorization: `Bearer ${await token('publisher', 'events:publish')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'PlaylistUpdated', playlist_id: 'road', action: 'Cleared', track_id: null, position: null }),
    });
    expect(published.status).toBe(202);
    expect(await aliceOnB.command({ command: 'RemoveFromPlaylist', playlist_id: 'road', track_id: TRACK })).toMatchObject({
      success: true,
      data: { playlist_id: 'road', action: 'Removed', position: 0, track_count: 0 },
    });
    const expected = [
      { action: 'Added', track_id: TRACK, position: 0 },
      { action: 'Cleared', track_id: null, position: null },
      { action: 'Removed', track_id: TRACK, position: 0 },
    ];
    for (const connection of [aliceOnA, aliceOnB]) await until(() => updates(connection).length === 3, 5000, 'three PlaylistUpdated');
    expect(updates(aliceOnA)).toEqual(expected);
    expect(updates(aliceOnB)).toEqual(expected);
    // The playlist emptied is gone on both nodes: anyone may create it again.
    expect(await bobOnB.command({ command: 'AddToPlaylist', playlist_id: 'road', track_id: TRACK })).toMatchObject({ success: true, data: { action: 'Added' } });
    await aliceOnA.command({ command: 'Ping' });
    expect(updates(aliceOnA)).toEqual(expected);
    expect(updates(bobOnB)).toEqual([{ action: 'Added', track_id: TRACK, position: 0 }]);
    await Promise.all([aliceOnA, aliceOnB, bobOnB].map((connection) => connection.close()));
  });

  it('each node opens one playlists connection, named with the node id its event bus uses', async () => {
    const { a, redis } = nodes;
    const names = String(await redis.admin.call('CLIENT', 'LIST', 'TYPE', 'normal'))
      .split('\n')
      .flatMap((line) => /name=hlsaudio-(\w+)-(\S+)/.exec(line)?.slice(1, 3) ?? []);
    const byNode = new Map<string, string[]>();
    for (let i = 0; i < names.length; i += 2) byNode.set(names[i + 1]!, [...(byNode.get(names[i + 1]!) ?? []), names[i]!].sort());
    expect([...byNode.values()]).toEqual([
      ['playlists', 'presence', 'publisher', 'reader', 'sessions'],
      ['playlists', 'presence', 'publisher', 'reader', 'sessions'],
    ]);
    expect(a.stdout()).toContain('connection quotas and server-side playlists are shared with the other nodes');
  });
});

describe('serve --redis: playlists left in a data folder', () => {
  it('moves a playlists.db into an empty Redis once; another node with its own file says it is not used', async () => {
    const redis = await startRedis();
    const first = tempDir('hlsaudio-node-');
    const sqlite = SqlitePlaylistStore.open(first, { maxTracks: 10, maxCount: 10, maxPerUser: 0, maxPerAddress: 0 }, logTo(() => {}));
    await sqlite.add('kept', TRACK, null, { userId: 'carol', address: null });
    await sqlite.add('kept', 'another-track', null, { userId: 'carol', address: null });
    await sqlite.add('dan-list', TRACK, null, { userId: 'dan', address: '192.0.2.7' });
    await sqlite.close();
    const second = tempDir('hlsaudio-node-');
    writeFileSync(join(second, LEGACY_PLAYLISTS_FILE), JSON.stringify({ schema: 1, playlists: { old: { owner: 'erin', tracks: [TRACK] } } }));

    const c = await startNode(redis, first);
    expect(c.stdout()).toContain('hlsaudio realtime: moved 2 playlists from playlists.db into Redis, once for every node; the file is left as it is and not used with --redis');
    const d = await startNode(redis, second);
    expect(d.stdout()).toMatch(/hlsaudio realtime: playlists\.json of the data folder holds 1 playlists, not used with --redis: Redis holds the playlists \(imported before: 2 playlists from .*playlists\.db by node node-\w+ at /);
    // Imported with their owners, order and quota counts, on every node.
    expect(await redis.admin.hgetall('hlsaudio:{playlists}:counts')).toEqual({ all: '2', 'u:carol': '1', 'u:dan': '1', 'a:192.0.2.7': '1' });
    const carolOnD = await user(d.port, 'carol');
    expect(await carolOnD.command({ command: 'RemoveFromPlaylist', playlist_id: 'kept', track_id: 'another-track' })).toMatchObject({ success: true, data: { position: 1, track_count: 1 } });
    expect(await carolOnD.command({ command: 'AddToPlaylist', playlist_id: 'old', track_id: TRACK })).toMatchObject({ success: true, data: { action: 'Added', track_count: 1 } });
    await carolOnD.close();
    // Restarted, the first node finds its file imported already: it says so again, and moves nothing twice.
    await c.stop();
    const again = await startNode(redis, first);
    expect(again.stdout()).toContain('playlists.db of the data folder holds 2 playlists, not used with --redis: Redis holds the playlists (imported before:');
    // Two imported (one of them changed since, not put back) and the one carol made.
    expect(await redis.admin.hget('hlsaudio:{playlists}:counts', 'all')).toBe('3');
    expect(await redis.admin.lrange('hlsaudio:{playlists}:t:kept', 0, -1)).toEqual([TRACK]);
  });
});

describe('serve --redis: quotas, order and outages', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });

  /** A node in this process, on its own key prefix, so that each test starts with no playlist. */
  let prefixes = 0;
  const nodes = (count: number, realtime: Record<string, number> = {}, server = redis) => {
    const keyPrefix = `t${++prefixes}`;
    return Promise.all(Array.from({ length: count }, () => startApp({ redis: { url: server.url, keyPrefix }, realtime })));
  };

  it('quotas hold across nodes under changes sent to both at once', async () => {
    const [a, b] = await nodes(2, { playlistMaxPerUser: 3, playlistMaxCount: 5, playlistMaxTracks: 4 });
    const clients = await Promise.all([a, b, a, b].map((node, i) => connect(node.ws, { user_id: i < 2 ? 'racer' : 'other' })));
    // 6 creations by one user, 3 on each node, sent without waiting.
    const raced = await Promise.all(clients.slice(0, 2).flatMap((client, node) => [0, 1, 2].map((i) => client.command({ command: 'AddToPlaylist', playlist_id: `r${node}${i}`, track_id: TRACK }))));
    expect(raced.filter((response) => response.success)).toHaveLength(3);
    expect(raced.filter((response) => !response.success).map(codeOf)).toEqual(['E_QUOTA', 'E_QUOTA', 'E_QUOTA']);
    // 4 more creations by another user: 2 fit in the server's 5.
    const more = await Promise.all(clients.slice(2).flatMap((client, node) => [0, 1].map((i) => client.command({ command: 'AddToPlaylist', playlist_id: `o${node}${i}`, track_id: TRACK }))));
    expect(more.filter((response) => response.success)).toHaveLength(2);
    expect(more.filter((response) => !response.success).map((response) => response.error)).toEqual(expect.arrayContaining([expect.stringContaining('the server holds its maximum of 5 playlists')]));
    expect(await redis.admin.hget(`t${prefixes}:{playlists}:counts`, 'all')).toBe('5');
    await Promise.all(clients.map((client) => client.close()));
  });

  it('answers a connection\'s commands in the order sent, a playlist command\'s event before its answer, while Redis holds it', async () => {
    const [node] = await nodes(1, { wsMaxQueuedCommands: 4 });
    const client = await connect(node!.ws, { user_id: 'orderly' });
    expect((await client.command({ command: 'Subscribe', events: ['PlaylistUpdated'], filters: {} })).success).toBe(true);
    // Redis holds every script for 300 ms (CLIENT PAUSE WRITE): the playlist command waits that long.
    await redis.admin.call('CLIENT', 'PAUSE', '300', 'WRITE');
    client.sendRaw(JSON.stringify({ command: 'AddToPlaylist', command_id: 'add', playlist_id: 'ordered', track_id: TRACK }));
    client.sendRaw(JSON.stringify({ command: 'Ping', command_id: 'ping' }));
    client.sendRaw(JSON.stringify({ command: 'GetStatus', command_id: 'status' }));
    client.sendRaw(JSON.stringify({ command: 'Play', command_id: 'bad' }));
    client.sendRaw(JSON.stringify({ command: 'RemoveFromPlaylist', command_id: 'remove', playlist_id: 'ordered', track_id: TRACK }));
    // One over the 4 that may wait: dropped as over the rate, its warning in its place.
    client.sendRaw(JSON.stringify({ command: 'Subscribe', command_id: 'sub', events: ['LiveStats'] }));
    await client.waitFor((event) => event.event === 'RateLimitWarning', 3000);
    const seen = client.events.slice(1).map((event: ServerEvent) => (event.event === 'CommandResponse' ? event.command_id : event.event === 'PlaylistUpdated' ? `${event.action}` : `${event.event} ${(event as { remaining_requests?: number }).remaining_requests}`));
    expect(seen).toEqual(['Added', 'add', 'ping', 'status', 'bad', 'Removed', 'remove', 'RateLimitWarning 0']);
    expect(responses(client).slice(1).map((response) => response.success)).toEqual([true, true, true, false, true]);
    expect(node!.app.realtime.manager.getStats().rate_limited_commands).toBe(1);
    await client.close();
  });

  it('Redis down: playlist commands answer E_UNAVAILABLE at once, the rest is served, and they work again when it is back', async () => {
    const own = await startRedis();
    const [node] = await nodes(1, {}, own);
    const client = await connect(node!.ws, { user_id: 'patient' });
    expect((await client.command({ command: 'AddToPlaylist', playlist_id: 'p', track_id: TRACK })).success).toBe(true);
    await own.stop();
    const started = Date.now();
    const refused = await client.command({ command: 'AddToPlaylist', playlist_id: 'p', track_id: TRACK });
    expect(refused).toMatchObject({ success: false, data: { code: 'E_UNAVAILABLE', field: null } });
    expect(refused.error).toMatch(new RegExp(`^playlists are unavailable: Redis at redis://127\\.0\\.0\\.1:${own.port} did not answer \\(.+\\); try again shortly$`));
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await client.command({ command: 'RemoveFromPlaylist', playlist_id: 'p', track_id: TRACK })).data).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(await client.command({ command: 'Ping' })).toMatchObject({ success: true, data: { pong: true } });
    expect(await client.command({ command: 'Subscribe', events: ['PlaylistUpdated'], filters: {} })).toMatchObject({ success: true });
    expect((await fetch(`${node!.base}/healthz`)).status).toBe(200);
    // Back, but empty (this Redis keeps nothing on disk): the playlist is gone, a new one can be made.
    await own.start();
    let answer: CommandResponse | undefined;
    const retry = setInterval(() => void client.command({ command: 'AddToPlaylist', playlist_id: 'again', track_id: TRACK }).then((response) => (answer = response)), 200);
    try {
      await until(() => answer?.success === true, 10_000, 'a playlist command to succeed again');
    } finally {
      clearInterval(retry);
    }
    expect(answer!.data).toMatchObject({ playlist_id: 'again', action: expect.stringMatching(/Added|Reordered/) });
    expect(node!.logs.filter((line) => line.includes('playlists')).join('\n')).not.toContain('failed');
    await client.close();
  });

  it('Redis frozen: a playlist command is given up after socketTimeoutMs with E_UNAVAILABLE, and the commands behind it follow in order', async () => {
    const own = await startRedis();
    const keyPrefix = `t${++prefixes}`;
    const node = await startApp({ redis: { url: own.url, keyPrefix, socketTimeoutMs: 400 } });
    const client = await connect(node.ws, { user_id: 'frozen' });
    expect((await client.command({ command: 'Ping' })).success).toBe(true);
    own.pause();
    try {
      const started = Date.now();
      client.sendRaw(JSON.stringify({ command: 'AddToPlaylist', command_id: 'add', playlist_id: 'cold', track_id: TRACK }));
      client.sendRaw(JSON.stringify({ command: 'Ping', command_id: 'after' }));
      const after = await client.waitFor((event) => event.event === 'CommandResponse' && event.command_id === 'after', 5000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(after).toMatchObject({ success: true });
      expect(responses(client).slice(1).map((response) => [response.command_id, response.success, response.success ? null : codeOf(response)])).toEqual([
        ['add', false, 'E_UNAVAILABLE'],
        ['after', true, null],
      ]);
    } finally {
      own.resume();
    }
    await client.close();
  });
});
