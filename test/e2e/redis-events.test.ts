import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeClient } from '../../src/client/index.js';
import type { Gap } from '../../src/realtime/events-gap.js';
import type { ServerEvent, TrackLiked } from '../../src/realtime/protocol.js';
import { runCli } from '../helpers/cli.js';
import { connect, type TestClient, until, untilAsync } from '../helpers/realtime.js';
import { freePort, type RedisServer, startRedis, twoNodesOnRedis } from '../helpers/redis.js';
import { packageFixtures, request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve --redis`: real CLI nodes sharing events through a real redis-server started here. Events
 * are TrackLiked with `total_likes` counting 1, 2, 3…, so that order, loss and duplicates show.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ENV = { HLSAUDIO_JWT_SECRET: SECRET };
const out = join(tempDir(), 'out');

afterAll(stopServers);
beforeAll(async () => {
  await packageFixtures(out, ['short-22k-stereo.wav']);
});

/** A node with its own data folder and analytics file (the events are what this file tests). */
function startNode(redis: RedisServer, extra: string[] = []): Promise<RunningServer> {
  const own = tempDir('hlsaudio-node-');
  return startServe(out, ['--redis', redis.url, '--data-dir', own, '--db', join(own, 'analytics.db'), ...extra], ENV);
}

function token(subject: string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

/** A dashboard-like client (`events:read-all`): these tests count every event, whoever it names. */
async function client(node: RunningServer, user: string, events: string[] = ['TrackLiked']): Promise<TestClient> {
  const connection = await connect(`ws://127.0.0.1:${node.port}/api/ws`, { token: await token(user, 'events:read-all') });
  expect((await connection.command({ command: 'Subscribe', events, filters: {} })).success).toBe(true);
  return connection;
}

function liked(from: number, count: number, track = 'shared'): TrackLiked[] {
  return Array.from({ length: count }, (_, i) => ({ event: 'TrackLiked', track_id: track, user_id: 'fan', total_likes: from + i }));
}

async function publish(node: RunningServer, events: ServerEvent[], query = ''): Promise<void> {
  const response = await request(node.port, 'POST', `/api/events${query}`, {
    headers: { authorization: `Bearer ${await token('publisher', 'events:publish')}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status, response.body.toString()).toBe(202);
}

/** Publishes `total` numbered events from `node`, in batches of 100; `during(i)` runs after batch i. */
async function publishNumbered(node: RunningServer, total: number, during: (batch: number) => Promise<void> | void = () => {}, track = 'shared'): Promise<void> {
  for (let batch = 0; batch * 100 < total; batch++) {
    await publish(node, liked(batch * 100 + 1, Math.min(100, total - batch * 100), track));
    await during(batch);
  }
}

function likes(connection: TestClient): number[] {
  return connection.named('TrackLiked').map((event) => event.total_likes);
}

function gaps(connection: TestClient): Gap[] {
  return connection.named('EventsGap').map(({ missed, reason }) => ({ missed, reason }));
}

/** The Redis connections one `serve --redis` node opens, each named hlsaudio-<role>-<node>. */
const NODE_ROLES = ['reader', 'publisher', 'sessions', 'presence', 'playlists'];
const NODE_CONNECTION = new RegExp(` name=hlsaudio-(${NODE_ROLES.join('|')})-`);

async function nodeConnections(redis: RedisServer): Promise<number> {
  const list = String(await redis.admin.call('CLIENT', 'LIST', 'TYPE', 'normal'));
  return list.split('\n').filter((line) => NODE_CONNECTION.test(line)).length;
}


const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function health(node: RunningServer): Promise<{ status: string; reason?: string }> {
  return (await request(node.port, 'GET', '/healthz')).json();
}

describe('serve --redis: events across two nodes', () => {
  const nodes = twoNodesOnRedis(startNode);

  it('delivers broadcasts, send_to_user and send_to_connection to the right sockets on both nodes', async () => {
    const { a, b } = nodes;
    const [anaOnA, anaOnB, bobOnB] = await Promise.all([client(a, 'ana', ['TrackLiked', 'PlaybackStarted']), client(b, 'ana'), client(b, 'bob', ['TrackLiked', 'PlaybackStarted'])]);
    const status = await anaOnA.command({ command: 'GetStatus' });
    const anaOnAId = (status.data as { connection: { id: string } }).connection.id;
    // Privacy holds across nodes: a user without events:read-all on node B hears nobody else's events.
    const carlOnB = await connect(`ws://127.0.0.1:${b.port}/api/ws`, { token: await token('carl') });
    expect((await carlOnB.command({ command: 'Subscribe', events: ['TrackLiked', 'PlaybackStarted'], filters: {} })).success).toBe(true);

    await publish(a, liked(1, 1, 'broadcast'));
    await publish(b, [{ event: 'ServerMessage', message: 'for ana', level: 'Info' }], '?user_id=ana');
    await publish(b, [{ event: 'ServerMessage', message: 'for one socket', level: 'Info' }], `?connection_id=${encodeURIComponent(anaOnAId)}`);
    // A command's event: Play on node A reaches a subscriber on node B.
    const trackId = (await request(a.port, 'GET', '/catalog.json')).json().tracks[0].id as string;
    expect((await anaOnA.command({ command: 'Play', track_id: trackId })).success).toBe(true);
    // The last publication of node B: once every socket saw it, they saw what came before it from B.
    await publish(b, liked(2, 1, 'broadcast'));

    for (const connection of [anaOnA, anaOnB, bobOnB]) await connection.waitFor((event) => event.event === 'TrackLiked' && event.total_likes === 2, 5000);
    expect(likes(anaOnA)).toEqual([1, 2]);
    expect(likes(anaOnB)).toEqual([1, 2]);
    expect(likes(bobOnB)).toEqual([1, 2]);
    const messages = (connection: TestClient) => connection.named('ServerMessage').map((event) => event.message);
    expect(messages(anaOnA)).toEqual(['for ana', 'for one socket']);
    expect(messages(anaOnB)).toEqual(['for ana']);
    expect(messages(bobOnB)).toEqual([]);
    await bobOnB.waitFor((event) => event.event === 'PlaybackStarted' && event.user_id === 'ana', 5000);
    expect(anaOnA.named('PlaybackStarted')).toHaveLength(1);
    expect(carlOnB.named('TrackLiked')).toEqual([]);
    expect(carlOnB.named('PlaybackStarted')).toEqual([]);
    await Promise.all([anaOnA, anaOnB, bobOnB, carlOnB].map((connection) => connection.close()));
  });

  it('loses nothing when the nodes\' Redis connections are killed during a broadcast of 1,000 events', async () => {
    const { a, b, redis } = nodes;
    const [onA, onB] = await Promise.all([client(a, 'ana'), client(b, 'bob')]);
    const killed: number[] = [];
    await publishNumbered(a, 1000, async (batch) => {
      if (batch !== 2 && batch !== 6) return;
      // Every Redis connection of both nodes (hlsaudio-<role>-<node>), once all are connected again.
      await untilAsync(async () => (await nodeConnections(redis)) === 2 * NODE_ROLES.length, 5000, 'every node connection');
      killed.push(Number(await redis.admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')));
    });
    expect(killed).toEqual([2 * NODE_ROLES.length, 2 * NODE_ROLES.length]);
    await until(() => likes(onB).length >= 1000, 15_000, 'node B to deliver 1,000 events');
    expect(likes(onA)).toEqual(oneToN(1000));
    expect(likes(onB)).toEqual(oneToN(1000));
    expect(gaps(onA).concat(gaps(onB))).toEqual([]);
    await Promise.all([onA.close(), onB.close()]);
  });

  it('loses nothing when redis-server is paused (SIGSTOP) for two seconds during a broadcast of 1,000 events', async () => {
    const { a, b, redis } = nodes;
    const [onA, onB] = await Promise.all([client(a, 'ana'), client(b, 'bob')]);
    try {
      await publishNumbered(a, 1000, (batch) => {
        if (batch === 2) redis.pause();
      });
      // Local delivery never waits for Redis: node A's socket gets everything while Redis is frozen.
      await until(() => likes(onA).length >= 1000, 5000, 'node A to deliver locally');
      expect(likes(onA)).toEqual(oneToN(1000));
      expect(likes(onB).length).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(likes(onB).length).toBeLessThan(1000);
    } finally {
      redis.resume();
    }
    await until(() => likes(onB).length >= 1000, 15_000, 'node B to deliver 1,000 events');
    expect(likes(onB)).toEqual(oneToN(1000));
    expect(gaps(onA).concat(gaps(onB))).toEqual([]);
    await Promise.all([onA.close(), onB.close()]);
  });
});

describe('serve --redis: Redis restarted without its data', () => {
  it('reports degraded with one warning per outage, keeps local delivery, signals the gap and delivers again after the restart', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([startNode(redis), startNode(redis)]);
    const [onA, onB] = await Promise.all([client(a, 'ana'), client(b, 'bob')]);
    // The typed client surfaces the gap.
    const typed = new RealtimeClient({ url: `ws://127.0.0.1:${b.port}/api/ws`, token: () => token('cleo'), reconnect: false });
    const typedGaps: Gap[] = [];
    typed.onGap((gap) => typedGaps.push(gap));
    await typed.connect();
    await publish(a, liked(1, 1));
    await onB.waitFor((event) => event.event === 'TrackLiked', 5000);
    expect(await health(a)).toMatchObject({ status: 'ok' });

    await redis.stop();
    await until(() => /lost Redis/.test(a.stderr()) && /lost Redis/.test(b.stderr()), 5000, 'both nodes to notice');
    const degraded = await health(b);
    expect(degraded.status).toBe('degraded');
    // One reason for the node's connections, saying what each one down means (in the order they dropped).
    expect(degraded.reason).toMatch(new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${redis.port} unreachable since \\S+Z \\([^)]*\\): `));
    await untilAsync(async () => (await health(b)).reason?.split('; ').length === 4, 5000, 'every connection of node B to notice');
    expect((await health(b)).reason!.replace(/^[^)]*\): /, '').split('; ').sort()).toEqual([
      "LiveStats counts this node's listeners only and connection quotas are checked on this node alone",
      "events reach this node's connections only, its publications waiting for the other nodes (up to 10000)",
      'server-side playlist commands are refused (E_UNAVAILABLE)',
      'the streaming sessions API answers 503 (E_UNAVAILABLE)',
    ]);
    // Publications meanwhile reach node A's own sockets at once; HTTP keeps answering.
    await publish(a, liked(2, 5));
    expect(likes(onA)).toEqual([1, 2, 3, 4, 5, 6]);
    // Several reconnection attempts, still one warning.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await redis.start();
    await until(() => /is back after/.test(a.stderr()) && /is back after/.test(b.stderr()), 10_000, 'both nodes to reconnect');
    // Node B's position belonged to the lost stream: it says so, then reads the new stream, where
    // node A's waiting publications now are.
    await until(() => likes(onB).length >= 6, 10_000, 'node B to get the publications made during the outage');
    expect(gaps(onB)).toEqual([{ missed: null, reason: 'reset' }]);
    // Every connection of the node hears it, subscribed or not.
    await until(() => typedGaps.length > 0, 2000, 'the typed client\'s onGap');
    expect(typedGaps).toEqual([{ missed: null, reason: 'reset' }]);
    await typed.close();
    const gapIndex = onB.events.findIndex((event) => event.event === 'EventsGap');
    const firstAfter = onB.events.findIndex((event) => event.event === 'TrackLiked' && event.total_likes === 2);
    expect(gapIndex).toBeLessThan(firstAfter);
    // And the subscriptions work on the new Redis: a fresh broadcast from each side.
    await publish(a, liked(7, 1));
    await publish(b, liked(8, 1));
    await until(() => likes(onB).length >= 8 && likes(onA).length >= 8, 5000, 'both nodes to deliver after the restart');
    expect(likes(onA)).toEqual(oneToN(8));
    expect(likes(onB)).toEqual(oneToN(8));
    // "Back" is said once every connection is (each reconnects on its own backoff): healthy since.
    expect(await health(a)).toMatchObject({ status: 'ok' });
    expect(await health(b)).toMatchObject({ status: 'ok' });
    for (const node of [a, b]) {
      expect(node.stderr().match(/lost Redis/g)).toHaveLength(1);
      expect(node.stderr().match(/is back after/g)).toHaveLength(1);
    }
    await Promise.all([onA.close(), onB.close()]);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('serve --redis: beyond the stream\'s bound', () => {
  it('signals the gap, with its size, to a node that fell further behind than the stream keeps', async () => {
    const redis = await startRedis();
    const [a, b] = await Promise.all([
      startNode(redis, ['--redis-stream-max-len', '100']),
      startNode(redis, ['--redis-stream-max-len', '100']),
    ]);
    const onB = await client(b, 'bob');
    b.child.kill('SIGSTOP');
    try {
      await publishNumbered(a, 1000);
      // The whole broadcast is in the stream before node B runs again.
      await untilAsync(async () => Number(await redis.admin.get('hlsaudio:{events}:n')) === 1000, 10_000, 'node A to add 1,000 entries');
      expect(await redis.admin.xlen('hlsaudio:{events}')).toBeLessThan(300);
    } finally {
      b.child.kill('SIGCONT');
    }
    await until(() => likes(onB).at(-1) === 1000, 10_000, 'node B to catch up');
    const received = likes(onB);
    const [gap, ...more] = gaps(onB);
    expect(more).toEqual([]);
    expect(gap?.reason).toBe('trimmed');
    // What came is in order, without duplicates, and the gap counts exactly what did not.
    const jump = received.findIndex((value, i) => i > 0 && value !== received[i - 1]! + 1);
    expect(received.slice(0, jump === -1 ? 0 : jump)).toEqual(oneToN(jump === -1 ? 0 : jump));
    const before = jump === -1 ? 0 : jump;
    const after = received.slice(before);
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => after[0]! + i));
    expect(gap?.missed).toBe(after[0]! - before - 1);
    expect(gap!.missed!).toBeGreaterThan(0);
    expect(before + gap!.missed! + after.length).toBe(1000);
    await onB.close();
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('serve --redis: Redis unreachable at start', () => {
  it('stops with E_REDIS (exit 5), naming the URL with its password masked', async () => {
    const port = await freePort();
    const result = await runCli(['serve', out, '--port', '0', '--redis', `redis://hls:s3cret-pass@127.0.0.1:${port}`]);
    expect(result.code).toBe(5);
    expect(result.stderr).toBe(`hlsaudio: cannot reach Redis at redis://hls:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    const fromEnv = await runCli(['serve', out, '--port', '0'], { env: { HLSAUDIO_REDIS_URL: `redis://:s3cret-pass@127.0.0.1:${port}/2` } });
    expect(fromEnv.code).toBe(5);
    expect(fromEnv.stderr).toBe(`hlsaudio: cannot reach Redis at redis://:***@127.0.0.1:${port}/2: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(result.stdout + fromEnv.stdout).not.toContain('s3cret');
  });

  it('refuses a URL that is not redis:// (exit 2), masked too, and a bad stream bound', async () => {
    const result = await runCli(['serve', out, '--port', '0', '--redis', 'http://user:s3cret@cache:6379']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hlsaudio: Expected `--redis` to be a URL such as redis://host:6379, rediss://user:password@host:6380/0 or redis+sentinel://host1:26379,host2:26379/mymaster, got "http://user:***@cache:6379/"\n');
    const bound = await runCli(['serve', out, '--port', '0', '--redis', 'redis://127.0.0.1:6379', '--redis-stream-max-len', '0']);
    expect(bound.code).toBe(2);
    expect(bound.stderr).toBe('hlsaudio: Expected `--redis-stream-max-len` to be an integer from 1 to 1000000000, got "0"\n');
  });
});
