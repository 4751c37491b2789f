import { join } from 'node:path';
import { SignJWT } from 'jose';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import type { LiveStats, QualityChanged, ServerEvent } from '../../src/realtime/protocol.js';
import { runCli } from '../helpers/cli.js';
import { type NginxServer, startNginx } from '../helpers/nginx.js';
import { type PostgresServer, startPostgres } from '../helpers/postgres.js';
import { TestClient } from '../helpers/realtime.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { request, type RawResponse, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A cluster as a platform runs it (issue 11, point 5): redis-server, PostgreSQL, two `serve --redis`
 * nodes writing their analytics to one PostgreSQL database, and Debian's nginx in front of them (round
 * robin, WebSocket upgrades proxied), all real and started here. Every property is one `it` on the one
 * shared setup; nginx names the node behind each answer (`X-Upstream`), and `nodeOf` turns that into
 * 'a' or 'b'. A test that stops a node starts it again on the same port.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ENV = { HLSAUDIO_JWT_SECRET: SECRET };
/** nginx leaves a failed node out this long; short, so that a restarted node is back in the tests' time. */
const FAIL_TIMEOUT_SEC = 2;
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
const TRACK = 'groove';
/** How long the nodes go on counting a node that stopped heartbeating (`--redis-presence-ttl`). */
const PRESENCE_TTL_MS = 1000;
/** `serve` pushes LiveStats every liveStatsIntervalMs (5 s, no flag): a wait for one allows two periods and slack. */
const LIVE_STATS_WAIT_MS = 15_000;
const CAPABILITIES = { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' };
const root = tempDir();
const out = join(root, 'out');

type NodeName = 'a' | 'b';
let redis: RedisServer;
let postgres: PostgresServer;
/** The one analytics database of both nodes. */
let dbUrl: string;
let nginx: NginxServer;
const nodes = {} as Record<NodeName, RunningServer>;
const dataDirs = { a: tempDir('hlsaudio-node-a-'), b: tempDir('hlsaudio-node-b-') };

/** Starts node `name` (again, on its former port when it had one). */
async function startNode(name: NodeName, port?: number): Promise<RunningServer> {
  const args = ['--redis', redis.url, '--redis-presence-ttl', String(PRESENCE_TTL_MS), '--data-dir', dataDirs[name], '--db', dbUrl];
  nodes[name] = await startServe(out, port === undefined ? args : [...args, '--port', String(port)], ENV);
  return nodes[name];
}

/** Which node gave an answer through nginx (its `X-Upstream` header, the last address nginx tried). */
function nodeOf(headers: Record<string, string | string[] | undefined>): NodeName {
  const upstream = String(headers['x-upstream'] ?? '').split(', ').pop();
  const name = (Object.keys(nodes) as NodeName[]).find((each) => upstream === `127.0.0.1:${nodes[each].port}`);
  if (!name) throw new Error(`no node behind X-Upstream ${upstream}`);
  return name;
}

function viaNginx(method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<RawResponse> {
  return request(nginx.port, method, path, options);
}

function token(subject: string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

/** A WebSocket through nginx, with the node it reached; `sessionId` names a streaming session (`?session_id=`). */
async function connectViaNginx(user: string, scope?: string, sessionId?: string): Promise<{ client: TestClient; node: NodeName }> {
  const session = sessionId === undefined ? '' : `&session_id=${sessionId}`;
  const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}/api/ws?token=${await token(user, scope)}${session}`);
  const client = new TestClient(socket);
  const node = await new Promise<NodeName>((resolve, reject) => {
    let reached: NodeName | undefined;
    socket.once('upgrade', (response) => (reached = nodeOf(response.headers)));
    socket.once('open', () => resolve(reached!));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} from ${res.headers['x-upstream']}`)));
    socket.once('error', reject);
  });
  return { client, node };
}

/** One client through nginx on each node of `wanted` (round robin; retried while nginx leaves a restarted node out). */
async function clientOnEachNode(user: string, scope?: string, sessionId?: string, wanted: NodeName[] = ['a', 'b']): Promise<Record<NodeName, TestClient>> {
  const found: Partial<Record<NodeName, TestClient>> = {};
  const extra: TestClient[] = [];
  const deadline = Date.now() + (FAIL_TIMEOUT_SEC + 5) * 1000;
  while (!wanted.every((name) => found[name])) {
    if (Date.now() > deadline) throw new Error(`nginx sent every connection to one node: ${Object.keys(found)}`);
    const { client, node } = await connectViaNginx(user, scope, sessionId);
    if (found[node] || !wanted.includes(node)) extra.push(client);
    else found[node] = client;
  }
  await Promise.all(extra.map((client) => client.close()));
  return found as Record<NodeName, TestClient>;
}

/** One listener through nginx on each node, each playing TRACK. */
async function listenerOnEachNode(user: string): Promise<Record<NodeName, TestClient>> {
  const clients = await clientOnEachNode(user);
  for (const client of Object.values(clients)) expect((await client.command({ command: 'Play', track_id: TRACK })).success).toBe(true);
  return clients;
}

/** A client through nginx subscribed to LiveStats, on node `name`. */
async function liveStatsWatcher(name: NodeName): Promise<TestClient> {
  const { [name]: watcher } = await clientOnEachNode('dashboard', undefined, undefined, [name]);
  expect((await watcher.command({ command: 'Subscribe', events: ['LiveStats'], filters: {} })).success).toBe(true);
  return watcher;
}

/** The first LiveStats from now on that passes `match`. */
function nextLiveStats(watcher: TestClient, match: (stats: LiveStats) => boolean, timeoutMs = LIVE_STATS_WAIT_MS): Promise<LiveStats> {
  const from = watcher.events.length;
  return watcher.waitFor((event): event is LiveStats => event.event === 'LiveStats' && watcher.events.indexOf(event) >= from && match(event), timeoutMs);
}

async function closeAll(clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}

afterAll(stopServers);
beforeAll(async () => {
  const packaged = runCli(['package', makeMusic(12, join(root, `${TRACK}.wav`)), '-o', out, '--segment-duration', '2', '--quiet']);
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  dbUrl = await postgres.createDatabase();
  expect((await packaged).code).toBe(0);
  await Promise.all([startNode('a'), startNode('b')]);
  nginx = await startNginx({ upstreams: [nodes.a.port, nodes.b.port], failTimeoutSec: FAIL_TIMEOUT_SEC });
});

describe('two serve nodes behind nginx, on one Redis', () => {
  it('balances plain HTTP over both nodes, with no stickiness', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => viaNginx('GET', '/healthz')));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => nodeOf(answer.headers)))).toEqual(new Set(['a', 'b']));
    // Two processes, as /healthz's boot_id says too.
    expect(new Set(answers.map((answer) => answer.json().boot_id)).size).toBe(2);
  });

  it('plays the player page through nginx in Chromium', async () => {
    const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      const media: { status: number; node: NodeName }[] = [];
      page.on('response', (response) => {
        if (response.request().headers().range) media.push({ status: response.status(), node: nodeOf(response.headers()) });
      });
      await page.goto(`${nginx.url}/?buffer=4&user_id=nginx-listener&token=${await token('nginx-listener')}`);
      await page.locator(`#catalog button[data-track="${TRACK}"]`).click();
      await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime), { timeout: 30_000 }).toBeGreaterThan(1);
      // The page's WebSocket, through nginx too, told a node that it plays.
      const playback = () => page.evaluate(() => (window as unknown as { hlsaudioPlayer: { serverPlayback(): Promise<unknown> } }).hlsaudioPlayer.serverPlayback().catch(() => undefined));
      await expect.poll(playback, { timeout: 10_000 }).toMatchObject({ track_id: TRACK, state: 'playing' });
      expect(media.length).toBeGreaterThan(0);
      expect(media.every((answer) => answer.status === 206)).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('delivers a broadcast published through nginx to clients on both nodes', async () => {
    const clients = await clientOnEachNode('dashboard', 'events:read-all');
    for (const client of Object.values(clients)) expect((await client.command({ command: 'Subscribe', events: ['TrackLiked'], filters: {} })).success).toBe(true);
    const liked: ServerEvent = { event: 'TrackLiked', track_id: TRACK, user_id: 'fan', total_likes: 7 };
    const published = await viaNginx('POST', '/api/events', {
      headers: { authorization: `Bearer ${await token('publisher', 'events:publish')}`, 'content-type': 'application/json' },
      body: JSON.stringify([liked]),
    });
    expect(published.status, published.body.toString()).toBe(202);
    for (const client of Object.values(clients)) expect(await client.waitFor((event) => event.event === 'TrackLiked', 5000)).toEqual(liked);
    await Promise.all(Object.values(clients).map((client) => client.close()));
  });

  it('reports to a streaming session through the node that did not create it, and pushes its recommendation to the listener on the first', async () => {
    const user = 'roaming-listener';
    const headers = { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' };
    const created = await viaNginx('POST', '/api/streaming/session', { headers, body: JSON.stringify({ track_id: TRACK, client_capabilities: CAPABILITIES }) });
    expect(created.status, created.body.toString()).toBe(201);
    const creator = nodeOf(created.headers);
    const other: NodeName = creator === 'a' ? 'b' : 'a';
    const { session_id: id } = created.json() as { session_id: string };
    // What these capabilities get (redis-sessions.test.ts), so that a rebuffer has somewhere to step down to.
    const from = 'high';
    // The listener's WebSocket names the session, on the node that made it.
    const { [creator]: listener } = await clientOnEachNode(user, undefined, id, [creator]);
    // A new rebuffer steps down at once (the values of redis-sessions.test.ts): a decision the other node makes.
    const report = await request(nodes[other].port, 'POST', `/api/streaming/session/${id}/metrics`, {
      headers,
      body: JSON.stringify({ buffer_health_percentage: 40, download_speed_kbps: 0, rebuffer_count: 1, rebuffer_duration_ms: 700 }),
    });
    expect(report.status, report.body.toString()).toBe(200);
    const { recommendation } = report.json() as { recommendation: { from_quality: string; to_quality: string; reason: string } };
    expect(recommendation).toMatchObject({ from_quality: from, reason: 'rebuffer' });
    expect(recommendation.to_quality).not.toBe(from);
    const pushed = (await listener.waitFor((event) => event.event === 'QualityChanged', 5000)) as QualityChanged;
    expect(pushed).toMatchObject({ session_id: id, from_quality: from, to_quality: recommendation.to_quality, reason: 'rebuffer', direction: 'down', user_id: user });
    // Both nodes, asked directly, hold the report and the new quality.
    for (const name of ['a', 'b'] as const) {
      const session = await request(nodes[name].port, 'GET', `/api/streaming/session/${id}`, { headers });
      expect(session.json(), name).toMatchObject({ session_id: id, current_quality: recommendation.to_quality, performance_metrics: { buffer_health_percentage: 40 } });
    }
    await listener.close();
  });

  it('counts the listeners of both nodes in the LiveStats of each', async () => {
    const watchers = await Promise.all([liveStatsWatcher('a'), liveStatsWatcher('b')]);
    const listeners = await listenerOnEachNode('live-listener');
    try {
      // One listener per node: a node counting only its own says 1.
      for (const watcher of watchers) {
        const both = await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 2);
        expect(both.top_tracks.map(({ track_id, current_listeners }) => [track_id, current_listeners])).toEqual([[TRACK, 2]]);
      }
    } finally {
      await closeAll([...Object.values(listeners), ...watchers]);
    }
  });

  it('writes the plays of both nodes to one PostgreSQL database, and every node answers with both', async () => {
    const since = Date.now();
    const listeners = await listenerOnEachNode('analytics-listener');
    await closeAll(Object.values(listeners));
    const reader = { authorization: `Bearer ${await token('dashboard', 'analytics:read')}` };
    const summary = async (port: number) => {
      const answer = await request(port, 'GET', `/api/analytics/summary?since=${since}`, { headers: reader });
      expect(answer.status, answer.body.toString()).toBe(200);
      const { generated_at: _, ...rest } = answer.json();
      return rest;
    };
    // Each node writes its plays within flushIntervalMs (1 s) of their end; nginx answers from either.
    await expect.poll(async () => (await summary(nginx.port)).totals, { timeout: 10_000, interval: 100 }).toMatchObject({ plays: 2, ended_plays: 2 });
    const [onA, onB] = await Promise.all([summary(nodes.a.port), summary(nodes.b.port)]);
    expect(onA.totals).toMatchObject({ plays: 2, ended_plays: 2 });
    expect(onB).toEqual(onA);
    expect(await postgres.query(dbUrl, 'SELECT COUNT(DISTINCT node)::int AS nodes, COUNT(*)::int AS plays FROM play_sessions WHERE user_id = $1', ['analytics-listener'])).toEqual([{ nodes: 2, plays: 2 }]);
  });

  it('keeps serving through nginx from the other node after kill -9 of one, and stops counting its listeners within the presence TTL', async () => {
    const watcher = await liveStatsWatcher('a');
    const listeners = await listenerOnEachNode('doomed-listener');
    await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 2);
    const { port } = nodes.b;
    const killedAt = Date.now();
    nodes.b.child.kill('SIGKILL');
    await nodes.b.stop();
    // nginx meets the refused node, passes the request to the other one and leaves it out for fail_timeout.
    const answers = await Promise.all(Array.from({ length: 8 }, () => viaNginx('GET', `/hls/${TRACK}/master.m3u8`)));
    expect(answers.map((answer) => [answer.status, nodeOf(answer.headers)])).toEqual(Array.from({ length: 8 }, () => [200, 'a']));
    const { client, node } = await connectViaNginx('survivor');
    expect(node).toBe('a');
    expect((await client.command({ command: 'Ping' })).success).toBe(true);
    await client.close();
    expect(nginx.errorLog()).toMatch(/connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
    // Node b's listener is a ghost: node a counts its own listener alone once b's presence expired.
    const alone = await nextLiveStats(watcher, (stats) => stats.concurrent_listeners === 1);
    expect(alone.top_tracks.map(({ track_id, current_listeners }) => [track_id, current_listeners])).toEqual([[TRACK, 1]]);
    // The TTL, one LiveStats period (5 s) and slack for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(PRESENCE_TTL_MS + 5000 + 3000);
    await closeAll([listeners.a, watcher]);
    // Back as it was for whatever runs next: node b again, and in nginx's rotation once fail_timeout is over.
    await startNode('b', port);
    const deadline = Date.now() + (FAIL_TIMEOUT_SEC + 5) * 1000;
    while (nodeOf((await viaNginx('GET', '/healthz')).headers) !== 'b') {
      if (Date.now() > deadline) throw new Error('nginx did not take node b back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
