import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTo } from '../../src/log.js';
import type { LiveStats } from '../../src/realtime/protocol.js';
import { startServeApp, type ServeApp } from '../../src/serve/app.js';
import { connect, type TestClient, until, untilAsync } from '../helpers/realtime.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { packageFixtures, request, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve --redis`, issue 11: LiveStats and the WebSocket connection quotas count every node, and a
 * node that dies stops being counted within the presence TTL. Nodes are `startServeApp` in this
 * process (short LiveStats period, small quotas) and real `serve` processes where one must die by
 * `kill -9`, all on a real redis-server; clients are real WebSockets in anonymous mode (user_id as
 * given).
 */
const out = join(tempDir(), 'out');
const LONG = 'short-22k-stereo';
const SHORT = 'mp3-22k-mono';
const TTL_MS = 1000;
const apps: ServeApp[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  await packageFixtures(out, [`${LONG}.wav`, `${SHORT}.mp3`]);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const app of apps) await app.close();
  await stopServers();
});

interface Node {
  app: ServeApp;
  ws: string;
  port: number;
  logs: string[];
}

/** A node in this process: LiveStats every 100 ms, a presence TTL of TTL_MS, small quotas. */
async function startNode(redis: RedisServer, perUser = 5, perAddress = 100): Promise<Node> {
  const logs: string[] = [];
  const app = await startServeApp({
    root: out,
    dataDir: tempDir(),
    dbFile: join(tempDir(), 'analytics.db'),
    logger: logTo((_level, line) => void logs.push(line)),
    realtime: { liveStatsIntervalMs: 100, wsMaxConnectionsPerUser: perUser, wsMaxConnectionsPerAddress: perAddress },
    redis: { url: redis.url, presenceTtlMs: TTL_MS },
  });
  apps.push(app);
  const { port } = await app.listen(0, '127.0.0.1');
  return { app, ws: `ws://127.0.0.1:${port}/api/ws`, port, logs };
}

async function client(ws: string, query: Record<string, string>): Promise<TestClient> {
  const connection = await connect(ws, query);
  clients.push(connection);
  return connection;
}

async function play(ws: string, user: string, trackId: string): Promise<TestClient> {
  const connection = await client(ws, { user_id: user });
  expect((await connection.command({ command: 'Play', track_id: trackId })).success).toBe(true);
  return connection;
}

async function liveStatsWatcher(node: Node): Promise<TestClient> {
  const watcher = await client(node.ws, { user_id: 'dashboard' });
  expect((await watcher.command({ command: 'Subscribe', events: ['LiveStats'], filters: {} })).success).toBe(true);
  return watcher;
}

/** The first LiveStats from now on that passes `match`. */
function nextLiveStats(watcher: TestClient, match: (stats: LiveStats) => boolean, timeoutMs = 5000): Promise<LiveStats> {
  const from = watcher.events.length;
  return watcher.waitFor((event) => event.event === 'LiveStats' && watcher.events.indexOf(event) >= from && match(event), timeoutMs) as Promise<LiveStats>;
}

/** An upgrade's outcome: the open socket, or the refusal's status and error code. */
function upgrade(ws: string, user: string): Promise<{ ws?: WebSocket; status?: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${ws}?user_id=${user}`);
    socket.once('open', () => resolve({ ws: socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, code: JSON.parse(body).error }));
    });
    socket.once('error', reject);
  });
}

function closeAll(sockets: (WebSocket | undefined)[]): Promise<unknown> {
  return Promise.all(sockets.map((socket) => socket && new Promise((resolve) => (socket.once('close', resolve), socket.close()))));
}


describe('serve --redis: LiveStats across nodes', () => {
  it('counts the listeners of another node, merges top tracks, and forgets a node killed with -9 within the TTL', async () => {
    const redis = await startRedis();
    const a = await startNode(redis, 3);
    const b = await startServe(out, ['--redis', redis.url, '--redis-presence-ttl', String(TTL_MS), '--data-dir', tempDir(), '--db', join(tempDir(), 'analytics.db')]);
    const bWs = `ws://127.0.0.1:${b.port}/api/ws`;
    const watcher = await liveStatsWatcher(a);
    // Node B: two listeners of LONG, one of SHORT; node A: two of SHORT.
    await Promise.all([play(bWs, 'b1', LONG), play(bWs, 'b2', LONG), play(bWs, 'b3', SHORT), play(a.ws, 'a1', SHORT), play(a.ws, 'a2', SHORT)]);
    // zoe holds node A's per-user quota (3) with connections on node B.
    const zoe = await Promise.all([client(bWs, { user_id: 'zoe' }), client(bWs, { user_id: 'zoe' }), client(bWs, { user_id: 'zoe' })]);

    const both = await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 5);
    expect(both.top_tracks.map(({ track_id, current_listeners }) => [track_id, current_listeners])).toEqual([
      [SHORT, 3],
      [LONG, 2],
    ]);
    expect(both.server_load).toBeGreaterThanOrEqual(0);
    expect(both.server_load).toBeLessThanOrEqual(1);
    expect(await upgrade(a.ws, 'zoe')).toEqual({ status: 429, code: 'E_QUOTA' });

    const nodes = await redis.admin.zrange('hlsaudio:{presence}:nodes', 0, -1);
    expect(nodes).toHaveLength(2);
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    const alone = await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 2, 10_000);
    const goneAfterMs = Date.now() - killedAt;
    expect(alone.top_tracks.map(({ track_id, current_listeners }) => [track_id, current_listeners])).toEqual([[SHORT, 2]]);
    // The TTL, one heartbeat of each node (TTL / 5), one LiveStats period, and slack for a loaded machine.
    expect(goneAfterMs).toBeLessThan(TTL_MS + 2 * 200 + 100 + 1000);
    // Its connections stop counting too: zoe connects on node A now.
    const zoeOnA = await upgrade(a.ws, 'zoe');
    expect(zoeOnA.ws).toBeDefined();
    // And node B leaves nothing behind in Redis.
    await untilAsync(async () => (await presenceOwners(redis, nodes)).size === 1, 3000, 'node B\'s keys to expire');
    await closeAll([zoeOnA.ws]);
    for (const connection of zoe) expect((await connection.closed).code).toBe(1006);
  });
});

/** The nodes (of `nodes`) that still own a presence key or a place in the set of nodes. */
async function presenceOwners(redis: RedisServer, nodes: string[]): Promise<Set<string>> {
  const keys = await redis.admin.keys('hlsaudio:{presence}:*');
  const members = await redis.admin.zrange('hlsaudio:{presence}:nodes', 0, -1);
  return new Set(nodes.filter((node) => members.includes(node) || keys.some((key) => key.endsWith(`:${node}`))));
}

describe('serve --redis: WebSocket quotas across nodes', () => {
  let redis: RedisServer;
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startNode(redis, 5, 8), startNode(redis, 5, 8)]);
  });

  it('refuses on node B a user at its quota on node A (429), and lets it in again once one closes', async () => {
    const onA = await Promise.all(Array.from({ length: 5 }, () => upgrade(a.ws, 'ana')));
    expect(onA.every((outcome) => outcome.ws)).toBe(true);
    expect(await upgrade(b.ws, 'ana')).toEqual({ status: 429, code: 'E_QUOTA' });
    // Another user is not affected.
    const bob = await upgrade(b.ws, 'bob');
    expect(bob.ws).toBeDefined();
    await closeAll([onA[0]!.ws]);
    await untilAsync(async () => {
      const again = await upgrade(b.ws, 'ana');
      if (!again.ws) return false;
      onA.push(again);
      return true;
    }, 3000, 'ana\'s place to be free on node B');
    await closeAll([...onA.slice(1).map((outcome) => outcome.ws), bob.ws]);
  });

  it('lets parallel upgrades of one user over two nodes exceed the quota by none, per user and per address', async () => {
    // 40 upgrades of one user at once, alternating the nodes: 5 open (wsMaxConnectionsPerUser).
    const raced = await Promise.all(Array.from({ length: 40 }, (_, i) => upgrade(i % 2 ? a.ws : b.ws, 'racer')));
    expect(raced.filter((outcome) => outcome.ws)).toHaveLength(5);
    expect(raced.filter((outcome) => outcome.status === 429)).toHaveLength(35);
    // 40 users from one address without a token: 8 open (wsMaxConnectionsPerAddress), counting the 5 above.
    const crowd = await Promise.all(Array.from({ length: 40 }, (_, i) => upgrade(i % 2 ? a.ws : b.ws, `crowd-${i}`)));
    expect(crowd.filter((outcome) => outcome.ws)).toHaveLength(3);
    expect(a.app.realtime.manager.size + b.app.realtime.manager.size).toBe(8);
    await closeAll([...raced, ...crowd].map((outcome) => outcome.ws));
    // Every place is given back: a fresh round gets 5 again.
    await untilAsync(async () => Number((await redis.admin.hget(holdsKey(await nodeIds(redis))[0]!, 'a:127.0.0.1')) ?? 0) === 0, 3000, 'the places to be released');
    await untilAsync(async () => Number((await redis.admin.hget(holdsKey(await nodeIds(redis))[1]!, 'a:127.0.0.1')) ?? 0) === 0, 3000, 'the places to be released');
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => upgrade(i % 2 ? a.ws : b.ws, 'racer')));
    expect(again.filter((outcome) => outcome.ws)).toHaveLength(5);
    await closeAll(again.map((outcome) => outcome.ws));
  });
});

async function nodeIds(redis: RedisServer): Promise<string[]> {
  return redis.admin.zrange('hlsaudio:{presence}:nodes', 0, -1);
}

function holdsKey(nodes: string[]): string[] {
  return nodes.map((node) => `hlsaudio:{presence}:holds:${node}`);
}

describe('serve --redis: Redis unreachable while serving', () => {
  it('lets connections in on the node\'s own count, counts LiveStats locally with /healthz degraded, and shares both again once Redis is back', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([startNode(redis, 3), startNode(redis, 3)]);
    const watcher = await liveStatsWatcher(a);
    await Promise.all([play(a.ws, 'a1', LONG), play(b.ws, 'b1', LONG), play(b.ws, 'b2', SHORT)]);
    await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 3);

    await redis.stop();
    await until(() => a.logs.some((line) => /lost Redis at /.test(line)), 5000, 'node A to notice');
    // The presence connection's drop, named by /healthz (the first warning may name another connection).
    await untilAsync(async () => ((await request(a.port, 'GET', '/healthz')).json().reason ?? '').includes("LiveStats counts this node's listeners only"), 5000, 'node A\'s presence to notice');
    const local = await nextLiveStats(watcher, () => true);
    expect(local.concurrent_listeners).toBe(1);
    expect(local.top_tracks.map(({ track_id, current_listeners }) => [track_id, current_listeners])).toEqual([[LONG, 1]]);
    const health = (await request(a.port, 'GET', '/healthz')).json();
    expect(health.status).toBe('degraded');
    expect(health.reason).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable since /);
    // Connections are let in on this node's count: eve takes 2 places on A and 2 on B (quota 3), and
    // the third on A is refused by A's own count.
    const eve = await Promise.all([upgrade(a.ws, 'eve'), upgrade(a.ws, 'eve'), upgrade(b.ws, 'eve'), upgrade(b.ws, 'eve')]);
    expect(eve.every((outcome) => outcome.ws)).toBe(true);
    const third = await Promise.all([upgrade(a.ws, 'eve'), upgrade(a.ws, 'eve')]);
    expect(third.filter((outcome) => outcome.ws)).toHaveLength(1);
    expect(third.filter((outcome) => outcome.status === 429)).toHaveLength(1);

    // Redis comes back empty: each node writes its entries again, whole.
    await redis.start();
    await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 3, 10_000);
    await untilAsync(async () => {
      const counts = await Promise.all(holdsKey(await nodeIds(redis)).map((key) => redis.admin.hget(key, 'u:eve')));
      return counts.length === 2 && counts.map(Number).sort().join() === '2,3';
    }, 5000, 'both nodes to write their holds again');
    // eve holds 5 across the nodes: over the quota of 3 while Redis was away, so no more on either.
    expect(await upgrade(b.ws, 'eve')).toEqual({ status: 429, code: 'E_QUOTA' });
    expect(await upgrade(a.ws, 'eve')).toEqual({ status: 429, code: 'E_QUOTA' });
    expect(a.logs.filter((line) => /lost Redis at /.test(line))).toHaveLength(1);
    await until(() => a.logs.some((line) => /Redis at .* is back after/.test(line)), 5000, 'node A to log the recovery');
    await closeAll([...eve, ...third].map((outcome) => outcome.ws));
  });
});
