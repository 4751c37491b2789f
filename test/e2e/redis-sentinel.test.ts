import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackLiked } from '../../src/realtime/protocol.js';
import { openRedisConnection } from '../../src/realtime/redis-connection.js';
import { runCli } from '../helpers/cli.js';
import { connect, type TestClient, until, untilAsync } from '../helpers/realtime.js';
import { freePort, type SentinelGroup, startSentinelGroup } from '../helpers/redis.js';
import { OUT, send, type StartedApp, startApp, TRACK } from '../helpers/serve-app.js';

/**
 * `serve --redis redis+sentinel://…/m`: two nodes (startServeApp in this process) on a real master,
 * replica and sentinel (redis-server --sentinel), all started here. The failover is forced with
 * SENTINEL FAILOVER, and waited for on what Redis and the nodes report, not on sleeps.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const CAPABILITIES = { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' };

function token(subject: string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

async function publish(node: StartedApp, likes: number): Promise<void> {
  const event: TrackLiked = { event: 'TrackLiked', track_id: 'shared', user_id: 'fan', total_likes: likes };
  const answer = await send(node.base, 'POST', '/api/events', [event], { authorization: `Bearer ${await token('publisher', 'events:publish')}` });
  expect(answer.status, await answer.clone().text()).toBe(202);
}

async function subscriber(node: StartedApp): Promise<TestClient> {
  const client = await connect(node.ws, { token: await token('dashboard', 'events:read-all') });
  expect((await client.command({ command: 'Subscribe', events: ['TrackLiked'], filters: {} })).success).toBe(true);
  return client;
}

const likes = (client: TestClient) => client.named('TrackLiked').map((event) => event.total_likes);

async function createSession(node: StartedApp, user: string): Promise<string> {
  const created = await send(node.base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: CAPABILITIES }, { authorization: `Bearer ${await token(user)}` });
  expect(created.status).toBe(201);
  return ((await created.json()) as { session_id: string }).session_id;
}

async function sessionOn(node: StartedApp, id: string): Promise<{ session_id?: string; user_id?: string; error?: string }> {
  return (await send(node.base, 'GET', `/api/streaming/session/${id}`)).json() as Promise<{ session_id?: string; user_id?: string; error?: string }>;
}

async function healthy(node: StartedApp): Promise<boolean> {
  return ((await (await fetch(`${node.base}/healthz`)).json()) as { status: string }).status === 'ok';
}

describe('serve --redis redis+sentinel://: two nodes through Redis Sentinel', () => {
  let group: SentinelGroup;
  let a: StartedApp;
  let b: StartedApp;
  let onB: TestClient;

  beforeAll(async () => {
    group = await startSentinelGroup(1);
    [a, b] = await Promise.all([0, 1].map(() => startApp({ redis: { url: group.url }, realtime: { jwtSecret: SECRET } })));
    onB = await subscriber(b);
  });

  afterAll(async () => {
    await onB?.close();
  });

  it('names the sentinels and the master in its notice, shares an event from A with a client on B, and a session made on A with B', async () => {
    expect(a.app.notices.join('\n')).toContain(`through Redis (${group.url})`);
    await publish(a, 1);
    await until(() => likes(onB).length === 1, 5000, 'the event from node A on node B');
    expect(likes(onB)).toEqual([1]);
    const id = await createSession(a, 'ana');
    expect(await sessionOn(b, id)).toMatchObject({ session_id: id, user_id: 'ana', track_id: TRACK });
  });

  it('follows a failover: the nodes move to the promoted replica, say a failover gap, and share events and sessions again', async () => {
    const before = await createSession(a, 'bea');
    expect(await group.masterPort()).toBe(group.master.port);
    // Events published here are on the replica too before the switch (WAIT: acknowledged by it).
    expect(await group.master.admin.call('WAIT', '1', '2000')).toBe(1);
    await group.sentinels[0]!.call('SENTINEL', 'FAILOVER', group.name);
    await untilAsync(async () => /role:master/.test(await group.replica.admin.info('replication')), 10_000, 'the replica to be promoted');
    await untilAsync(async () => (await group.masterPort()) === group.replica.port, 10_000, 'the sentinel to name the replica as master');
    // Events published during the switch: an entry the old master acknowledged after its replica's
    // last copy is gone, and a reader that had not read it cannot count it (its position is on the new
    // master). So each node's reader, on finding another server (run_id) that kept its position,
    // signals a `failover` gap with missed null: never a silent loss. Here nothing was lost (WAIT
    // above), and the gap is still said, once.
    await until(() => onB.named('EventsGap').length > 0, 10_000, 'node B to signal the failover');
    expect(onB.named('EventsGap').map(({ missed, reason }) => ({ missed, reason }))).toEqual([{ missed: null, reason: 'failover' }]);
    await untilAsync(async () => (await healthy(a)) && (await healthy(b)), 10_000, 'both nodes healthy again');
    // Every connection of both nodes is on the new master now (CLIENT LIST there), none on the old one.
    await untilAsync(async () => nodeConnections(String(await group.replica.admin.call('CLIENT', 'LIST', 'TYPE', 'normal'))) === 10, 10_000, 'the ten connections on the new master');

    await publish(a, 2);
    await until(() => likes(onB).length === 2, 5000, 'the event from node A after the failover');
    expect(likes(onB)).toEqual([1, 2]);
    // The session made before the switch was replicated; new ones work on both nodes.
    expect(await sessionOn(b, before)).toMatchObject({ session_id: before, user_id: 'bea' });
    for (const [maker, reader] of [[a, b], [b, a]] as const) {
      const id = await createSession(maker, 'cleo');
      expect(await sessionOn(reader, id)).toMatchObject({ session_id: id, user_id: 'cleo' });
    }
    // The switch was an outage for the nodes' connections, reported and over.
    for (const node of [a, b]) expect(node.logs.join('\n')).toMatch(/is back after/);
  });
});

/** hlsaudio's connections in a CLIENT LIST reply (named hlsaudio-<role>-<node>). */
function nodeConnections(list: string): number {
  return list.split('\n').filter((line) => / name=hlsaudio-/.test(line)).length;
}

describe('redis+sentinel:// that cannot be reached', () => {
  it('fails the first connection with E_REDIS naming the sentinels and the master, never a password', async () => {
    const [one, two] = [await freePort(), await freePort()];
    const url = `redis+sentinel://hls:s3cret@127.0.0.1:${one},127.0.0.1:${two}/m/0?sentinelPassword=t0p`;
    const opening = openRedisConnection({ url, name: 'test', reconnectMinMs: 10, reconnectMaxMs: 50, connectTimeoutMs: 1000, disconnectWaitMs: 100, socketTimeoutMs: 1000 });
    const error = (await opening.then(() => undefined, (caught: unknown) => caught)) as Error & { code: string };
    expect(error).toMatchObject({ code: 'E_REDIS' });
    expect(error.message).toContain(`cannot reach Redis at redis+sentinel://hls:***@127.0.0.1:${one},127.0.0.1:${two}/m/0?sentinelPassword=***: All sentinels are unreachable`);
    expect(error.message).not.toMatch(/s3cret|t0p/);
  });
});

describe('serve with a bad or unreachable redis+sentinel:// URL', () => {
  it('exits 2 for a URL without a master name or with a bad port, and 5 when no sentinel answers, never showing a password', async () => {
    const noName = await runCli(['serve', OUT, '--port', '0'], { env: { HLSAUDIO_REDIS_URL: 'redis+sentinel://:s3cret@s1:26379,s2:26379?sentinelPassword=t0p' } });
    expect(noName.code).toBe(2);
    expect(noName.stderr).toBe('hlsaudio: Expected `HLSAUDIO_REDIS_URL` to be a URL such as redis://host:6379, rediss://user:password@host:6380/0 or redis+sentinel://host1:26379,host2:26379/mymaster, got "redis+sentinel://:***@s1:26379,s2:26379?sentinelPassword=***"\n');
    const badPort = await runCli(['serve', OUT, '--port', '0', '--redis', 'redis+sentinel://s1:70000/m']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('got "redis+sentinel://s1:70000/m"');
    const port = await freePort();
    const unreachable = await runCli(['serve', OUT, '--port', '0'], { env: { HLSAUDIO_REDIS_URL: `redis+sentinel://:s3cret@127.0.0.1:${port}/m?sentinelPassword=t0p` } });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(new RegExp(`^hlsaudio: cannot reach Redis at redis\\+sentinel://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/m\\?sentinelPassword=\\*\\*\\*: All sentinels are unreachable`));
    expect(noName.stderr + badPort.stderr + unreachable.stderr + unreachable.stdout).not.toMatch(/s3cret|t0p/);
  });
});
