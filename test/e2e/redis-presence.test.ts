import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTo } from '../../src/log.js';
import type { LiveStats } from '../../src/realtime/protocol.js';
import { startServeApp, type ServeApp } from '../../src/serve/app.js';
import { connect, type TestClient } from '../helpers/realtime.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { packageFixtures, startServe, stopServers } from '../helpers/serve.js';
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

async function untilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
