import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type PostgresServer, startPostgres } from '../helpers/postgres.js';
import { connect, type TestClient } from '../helpers/realtime.js';
import { freePort } from '../helpers/redis.js';
import { packageFixtures, request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve --db postgres://…`: real CLI nodes writing their listening analytics to one real
 * PostgreSQL 15 started here. A play is a WebSocket connection that plays the track of a streaming
 * session, and ends when the connection closes.
 */
const TRACK = 'short-22k-stereo';
const out = join(tempDir(), 'out');
let postgres: PostgresServer;

afterAll(stopServers);
beforeAll(async () => {
  [postgres] = await Promise.all([startPostgres(), packageFixtures(out, [`${TRACK}.wav`])]);
});

/** A node with its own data folder, its analytics in `url`. */
function startNode(url: string, env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  return startServe(out, ['--data-dir', tempDir('hlsaudio-node-'), ...(url ? ['--db', url] : [])], env);
}

async function json(node: RunningServer, path: string): Promise<any> {
  const answer = await request(node.port, 'GET', path);
  expect(answer.status, answer.body.toString()).toBe(200);
  return JSON.parse(answer.body.toString());
}

/** Opens a play on `node`: a streaming session, and a connection that plays its track. */
async function listen(node: RunningServer, user: string): Promise<TestClient> {
  const created = await request(node.port, 'POST', '/api/streaming/session', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ track_id: TRACK, client_capabilities: { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' } }),
  });
  expect(created.status, created.body.toString()).toBe(201);
  const { session_id: sessionId } = JSON.parse(created.body.toString()) as { session_id: string };
  const client = await connect(`ws://127.0.0.1:${node.port}/api/ws`, { user_id: user, session_id: sessionId }, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) test' });
  expect((await client.command({ command: 'Play', track_id: TRACK })).success).toBe(true);
  return client;
}

describe('serve --db postgres://', () => {
  it('writes the plays of two nodes to one database, and each node answers with both', async () => {
    const url = await postgres.createDatabase();
    const [a, b] = await Promise.all([startNode(url), startNode('', { HLSAUDIO_DB_URL: url })]);
    for (const node of [a, b]) {
      expect(node.stdout()).toContain(`analytics: written to ${url.replace(':secret@', ':***@')}`);
      expect(node.stdout()).not.toContain('secret');
    }
    const onA = await listen(a, 'ana');
    const onB = await listen(b, 'bob');
    await Promise.all([onA.close(), onB.close()]);
    // B writes its plays within flushIntervalMs (1 s) of their end; A's summary writes A's first.
    await vi.waitFor(async () => expect((await json(a, '/api/analytics/summary')).totals).toMatchObject({ plays: 2, ended_plays: 2 }), { timeout: 10_000, interval: 100 });
    expect((await json(b, '/api/analytics/summary')).totals).toMatchObject({ plays: 2, ended_plays: 2 });
    const details = await json(b, `/api/analytics/tracks/${TRACK}`);
    expect(details.recent_sessions.map((play: { user_id: string }) => play.user_id).sort()).toEqual(['ana', 'bob']);
    expect(await postgres.query(url, 'SELECT COUNT(DISTINCT node)::int AS nodes FROM play_sessions')).toEqual([{ nodes: 2 }]);
    await Promise.all([a.stop(), b.stop()]);
    // Each node left the register when it stopped.
    expect(await postgres.query(url, 'SELECT node FROM analytics_nodes')).toEqual([]);
  });

  it('goes on serving while PostgreSQL is away, says so on /healthz, warns once, and writes the plays when it is back', async () => {
    const url = await postgres.createDatabase();
    const node = await startNode(url);
    const before = await listen(node, 'before');
    await postgres.stop();
    try {
      await before.close();
      const during = await listen(node, 'during');
      await during.close();
      // Writes fail once a second meanwhile; the node says why it is degraded, and serves its HLS routes.
      await vi.waitFor(async () => expect((await json(node, '/healthz')).reason).toMatch(/; [3-9] failed writes, \d+ rows waiting$/), { timeout: 15_000, interval: 100 });
      const health = await json(node, '/healthz');
      expect(health.status).toBe('degraded');
      expect(health.reason).toMatch(/^analytics: writes to PostgreSQL at postgres:\/\/hls:\*\*\*@127\.0\.0\.1:\d+\/\w+ failing since /);
      expect((await request(node.port, 'GET', `/hls/${TRACK}/master.m3u8`)).status).toBe(200);
      expect(node.stderr().match(/analytics: .*writes fail/g)).toHaveLength(1);
      expect(node.stderr()).not.toContain('secret');
    } finally {
      await postgres.start();
    }
    await vi.waitFor(async () => expect((await json(node, '/healthz')).status).toBe('ok'), { timeout: 10_000, interval: 100 });
    expect(node.stderr()).toMatch(/analytics: writes to PostgreSQL at .* work again after/);
    const summary = await json(node, '/api/analytics/summary');
    expect(summary.totals).toMatchObject({ plays: 2, ended_plays: 2 });
    await node.stop();
  });

  it('exits 5 with the URL masked when PostgreSQL cannot be reached at start', async () => {
    const port = await freePort();
    const url = `postgres://hls:hunter2@127.0.0.1:${port}/analytics`;
    for (const [args, env] of [[['--db', url], {}], [[], { HLSAUDIO_DB_URL: url }]] as const) {
      const result = await runCli(['serve', out, '--port', '0', '--host', '127.0.0.1', '--data-dir', tempDir(), ...args], { env });
      expect(result.code).toBe(5);
      expect(result.stderr).toBe(`hlsaudio: PostgreSQL at postgres://hls:***@127.0.0.1:${port}/analytics cannot be reached (connect ECONNREFUSED 127.0.0.1:${port})\n`);
    }
  });

  it('refuses a URL that names no database (exit 2), its password masked', async () => {
    const result = await runCli(['serve', out, '--port', '0', '--data-dir', tempDir()], { env: { HLSAUDIO_DB_URL: 'postgres://hls:hunter2@db.example' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Expected `HLSAUDIO_DB_URL` to be an SQLite file or a URL such as postgres://user:password@host:5432/database, got "postgres://hls:***@db.example"');
  });
});
