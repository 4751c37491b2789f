import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { QualityChanged } from '../../src/realtime/protocol.js';
import type { StreamingSession } from '../../src/streaming/types.js';
import { connect, until, untilAsync } from '../helpers/realtime.js';
import { type RedisServer, startRedis, twoNodesOnRedis } from '../helpers/redis.js';
import { request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { GOOD_REPORT, listen, OUT, send, startApp, trackDetails, TRACK } from '../helpers/serve-app.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve --redis`: streaming sessions shared by every node. Real `serve` processes (and, where the
 * test needs a short idle time, `startServeApp` in this process) on a real redis-server.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ENV = { HLSAUDIO_JWT_SECRET: SECRET };

afterAll(stopServers);

function startNode(redis: RedisServer): Promise<RunningServer> {
  const own = tempDir('hlsaudio-node-');
  return startServe(OUT, ['--redis', redis.url, '--data-dir', own, '--db', `${own}/analytics.db`], ENV);
}

function token(subject: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

const CAPABILITIES = { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' };

async function api(node: RunningServer, method: string, path: string, body?: unknown, user?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user) headers.authorization = `Bearer ${await token(user)}`;
  return request(node.port, method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function createSession(node: RunningServer, user: string): Promise<string> {
  const created = await api(node, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES }, user);
  expect(created.status, created.body.toString()).toBe(201);
  return created.json().session_id as string;
}

describe('serve --redis: streaming sessions on two nodes', () => {
  const nodes = twoNodesOnRedis(startNode);

  it('answers GET, PUT, POST and DELETE, the session master and /stream on node B for a session made on node A', async () => {
    const { a, b } = nodes;
    const id = await createSession(a, 'ana');
    const session = `/api/streaming/session/${id}`;
    expect((await api(b, 'GET', session)).json()).toMatchObject({ session_id: id, track_id: TRACK, user_id: 'ana', current_quality: 'high' });
    const put = await api(b, 'PUT', `${session}/quality`, { quality: 'mobile', adaptive_enabled: false });
    expect(put.status).toBe(200);
    // Node A sees what node B wrote.
    expect((await api(a, 'GET', session)).json()).toMatchObject({ current_quality: 'mobile', client_capabilities: { adaptive_enabled: false } });
    const report = await api(b, 'POST', `${session}/metrics`, { buffer_health_percentage: 64, download_speed_kbps: 900 });
    expect(report.json()).toMatchObject({ current_quality: 'mobile', performance_metrics: { buffer_health_percentage: 64, quality_switches: 1 } });
    // The session's master and progressive stream follow it on any node.
    const master = (await api(b, 'GET', `/hls/${TRACK}/master.m3u8?session=${id}`)).body.toString();
    expect(master.split('\n').find((line) => line.endsWith('.m3u8'))).toMatch(/^mobile\//);
    expect((await api(a, 'GET', `/stream/${TRACK}?session=${id}`)).headers['x-hlsaudio-quality']).toBe('mobile');
    expect((await api(b, 'GET', '/api/streaming/stats')).json().active_sessions).toBeGreaterThanOrEqual(1);
    const ended = await api(b, 'DELETE', session);
    expect(ended.json()).toMatchObject({ session_id: id });
    for (const node of [a, b]) expect((await api(node, 'GET', session)).json()).toMatchObject({ error: 'E_UNKNOWN_SESSION' });
    expect((await api(a, 'DELETE', session)).status).toBe(404);
  });

  it('pushes a recommendation made on node B (a report) to the listener\'s WebSocket on node A, and Play on A answers the session\'s quality', async () => {
    const { a, b } = nodes;
    const id = await createSession(b, 'bea');
    // Node A never saw this session before the connection names it.
    const listener = await connect(`ws://127.0.0.1:${a.port}/api/ws`, { token: await token('bea'), session_id: id });
    expect((await api(b, 'PUT', `/api/streaming/session/${id}/quality`, { quality: 'medium', reason: 'player' })).status).toBe(200);
    await listener.waitFor((event) => event.event === 'QualityChanged' && event.to_quality === 'medium', 5000);
    const play = await listener.command({ command: 'Play', track_id: TRACK });
    expect(play).toMatchObject({ success: true, data: { quality: 'medium' } });
    // A new rebuffer steps down at once: the monitor's decision, made on node B.
    const report = await api(b, 'POST', `/api/streaming/session/${id}/metrics`, { buffer_health_percentage: 40, download_speed_kbps: 0, rebuffer_count: 1, rebuffer_duration_ms: 700 });
    expect(report.json().recommendation).toMatchObject({ from_quality: 'medium', to_quality: 'mobile', reason: 'rebuffer' });
    const pushed = (await listener.waitFor((event) => event.event === 'QualityChanged' && event.reason === 'rebuffer', 5000)) as QualityChanged;
    expect(pushed).toMatchObject({ session_id: id, from_quality: 'medium', to_quality: 'mobile', direction: 'down', user_id: 'bea' });
    // Seek on node A reports the buffer node B stored.
    expect((await listener.command({ command: 'Subscribe', events: ['PlaybackProgress'], filters: {} })).success).toBe(true);
    expect((await listener.command({ command: 'Seek', track_id: TRACK, position_ms: 1000 })).success).toBe(true);
    const progress = await listener.waitFor((event) => event.event === 'PlaybackProgress', 5000);
    expect(progress).toMatchObject({ buffer_percentage: 40 });
    await listener.close();
  });

  it('holds a user\'s quota across nodes: 60 creations racing on both nodes, exactly 50 succeed (maxSessionsPerUser)', async () => {
    const { a, b } = nodes;
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => api(i % 2 ? a : b, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES }, 'quota-user')));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(50);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(refused).toHaveLength(10);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.json().error).toBe('E_QUOTA');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('keeps the sessions of a node killed with SIGKILL usable on the others', async () => {
    const { a, b, redis } = nodes;
    const c = await startNode(redis);
    const id = await createSession(c, 'cleo');
    expect((await api(c, 'POST', `/api/streaming/session/${id}/metrics`, { buffer_health_percentage: 90, download_speed_kbps: 0 })).status).toBe(200);
    expect(await c.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    expect((await api(b, 'GET', `/api/streaming/session/${id}`)).json()).toMatchObject({ session_id: id, performance_metrics: { buffer_health_percentage: 90 } });
    expect((await api(a, 'PUT', `/api/streaming/session/${id}/quality`, { quality: 'low' })).json()).toMatchObject({ current_quality: 'low' });
  });
});

describe('serve --redis: expiry and outages (startServeApp in this process)', () => {
  it('ends each idle session on exactly one node: one session-ended each, counted once', async () => {
    const redis = await startRedis();
    const streaming = { sessionIdleMs: 300, sweepIntervalMs: 50 };
    const nodes = await Promise.all([startApp({ redis: { url: redis.url }, streaming }), startApp({ redis: { url: redis.url }, streaming })]);
    const ended: string[] = [];
    for (const node of nodes) node.app.hls.streaming.on('session-ended', (session, reason) => ended.push(`${session.session_id} ${reason}`));
    const created = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const answer = await send(nodes[i % 2]!.base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES });
        expect(answer.status).toBe(201);
        return ((await answer.json()) as { session_id: string }).session_id;
      }),
    );
    await until(() => ended.length >= 10, 5000, 'ten sessions to expire');
    // Nothing left to claim: a sweep of either node now ends nothing more.
    expect(await Promise.all(nodes.map((node) => node.app.hls.streaming.expireIdleSessions()))).toEqual([0, 0]);
    expect(ended.sort()).toEqual(created.map((id) => `${id} expired`).sort());
    const stats = (await (await send(nodes[0]!.base, 'GET', '/api/streaming/stats')).json()) as { active_sessions: number; sessions_created: number; sessions_expired: number };
    expect(stats).toMatchObject({ active_sessions: 0, sessions_created: 10, sessions_expired: 10 });
  });

  it('records a quality switch made on node B in the play of the listener connected to node A', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([startApp({ redis: { url: redis.url } }), startApp({ redis: { url: redis.url } })]);
    const { sessionId, client } = await listen(a);
    expect((await send(b.base, 'PUT', `/api/streaming/session/${sessionId}/quality`, { quality: 'mobile', reason: 'player' })).status).toBe(200);
    await client.waitFor((event) => event.event === 'QualityChanged', 5000);
    const details = await trackDetails(a);
    expect(details.quality_switches).toEqual([{ from: 'high', to: 'mobile', reason: 'player', count: 1 }]);
    expect((await trackDetails(b)).quality_switches).toEqual([]);
  });

  it('records the rebuffers a player reports to node B in the play of the listener connected to node A, once', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([startApp({ redis: { url: redis.url } }), startApp({ redis: { url: redis.url } })]);
    const { sessionId } = await listen(a);
    const metrics = `/api/streaming/session/${sessionId}/metrics`;
    expect((await send(b.base, 'POST', metrics, { ...GOOD_REPORT, rebuffer_count: 2, rebuffer_duration_ms: 900 })).status).toBe(200);
    // The same running totals again add nothing; a third stall on node A adds one.
    expect((await send(b.base, 'POST', metrics, { ...GOOD_REPORT, rebuffer_count: 2, rebuffer_duration_ms: 900 })).status).toBe(200);
    expect((await send(a.base, 'POST', metrics, { ...GOOD_REPORT, rebuffer_count: 3, rebuffer_duration_ms: 1200 })).status).toBe(200);
    let play: { rebuffers: number; rebuffer_ms: number } | undefined;
    await untilAsync(async () => (play = (await trackDetails(a)).recent_sessions[0])?.rebuffers === 3, 5000, 'node A to record the rebuffers');
    expect(play).toMatchObject({ rebuffers: 3, rebuffer_ms: 1200 });
    expect((await trackDetails(b)).recent_sessions).toEqual([]);
  });

  it('answers session requests with 503 E_UNAVAILABLE and Retry-After while Redis is down, and keeps serving HLS files', async () => {
    const redis = await startRedis();
    const node = await startApp({ redis: { url: redis.url } });
    const answer = await send(node.base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES });
    const { session_id: id } = (await answer.json()) as StreamingSession;
    await redis.stop();
    for (const [method, path] of [
      ['GET', `/api/streaming/session/${id}`],
      ['POST', '/api/streaming/session'],
      ['GET', `/hls/${TRACK}/master.m3u8?session=${id}`],
    ] as const) {
      const refused = await send(node.base, method, path, method === 'POST' ? { track_id: TRACK, client_capabilities: CAPABILITIES } : undefined);
      expect(refused.status, path).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { error: string; message: string }).message).toMatch(new RegExp(`^Streaming sessions are unavailable: Redis at redis://127\\.0\\.0\\.1:${redis.port} does not answer`));
    }
    expect((await send(node.base, 'GET', `/hls/${TRACK}/master.m3u8`)).status).toBe(200);
    // Back (empty: no persistence): sessions are made again once the node reconnected.
    await redis.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 201 && Date.now() < deadline) {
      status = (await send(node.base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES })).status;
      if (status !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(201);
  });
});
