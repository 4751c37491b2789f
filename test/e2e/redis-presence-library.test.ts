import { afterEach, describe, expect, it } from 'vitest';
import { logTo } from '../../src/log.js';
import { RedisPresence } from '../../src/realtime/redis-presence.js';
import { startRedis } from '../helpers/redis.js';

/** RedisPresence and its quotas as a library, on a real redis-server: what the serve tests cannot reach. */
const made: RedisPresence[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((presence) => presence.close()));
});

async function presence(options: Parameters<typeof RedisPresence.connect>[0]): Promise<RedisPresence> {
  const node = await RedisPresence.connect({ logger: logTo(() => {}), ...options });
  made.push(node);
  return node;
}

const ana = [{ kind: 'user' as const, id: 'ana', limit: 2 }];

describe('RedisPresence', () => {
  it('lets an upgrade in on its own count when Redis is frozen past quotaCheckTimeoutMs, and writes its count again once Redis answers', async () => {
    const redis = await startRedis();
    const a = await presence({ url: redis.url, nodeId: 'node-a', presenceTtlMs: 500, quotaCheckTimeoutMs: 100 });
    const first = await a.quotas.reserve(ana);
    expect(first.granted).toBe(true);
    expect(await redis.admin.hget('hlsaudio:{presence}:holds:node-a', 'u:ana')).toBe('1');
    redis.pause();
    let second;
    const startedAt = Date.now();
    try {
      second = await a.quotas.reserve(ana);
    } finally {
      redis.resume();
    }
    expect(second.granted).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    // The late reservation and the next heartbeat's rewrite agree with node A's count: 2.
    const deadline = Date.now() + 3000;
    while ((await redis.admin.hget('hlsaudio:{presence}:holds:node-a', 'u:ana')) !== '2' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await redis.admin.hgetall('hlsaudio:{presence}:holds:node-a')).toEqual({ '.': '1', 'u:ana': '2' });
    // Full across the nodes now: node B is refused, and nothing is taken for it.
    const b = await presence({ url: redis.url, nodeId: 'node-b', presenceTtlMs: 500 });
    expect(await b.quotas.reserve(ana)).toEqual({ granted: false, refused: ana[0] });
    expect(await redis.admin.hget('hlsaudio:{presence}:holds:node-b', 'u:ana')).toBe(null);
    // A release gives the place back (twice is once).
    if (first.granted) {
      first.release();
      first.release();
    }
    expect((await b.quotas.reserve(ana)).granted).toBe(true);
    expect(await b.quotas.reserve(ana)).toEqual({ granted: false, refused: ana[0] });
  });

  it('removes its entries at once when closed, so that the others stop counting it without waiting for the TTL', async () => {
    const redis = await startRedis();
    const a = await presence({ url: redis.url, nodeId: 'node-a' });
    const b = await presence({ url: redis.url, nodeId: 'node-b' });
    expect((await b.quotas.reserve(ana)).granted).toBe(true);
    b.set('c1', 'song');
    expect(await redis.admin.zrange('hlsaudio:{presence}:nodes', 0, -1)).toEqual(['node-a', 'node-b']);
    await b.close();
    expect(await redis.admin.zrange('hlsaudio:{presence}:nodes', 0, -1)).toEqual(['node-a']);
    expect((await redis.admin.keys('hlsaudio:{presence}:*')).sort()).toEqual(['hlsaudio:{presence}:holds:node-a', 'hlsaudio:{presence}:listening:node-a', 'hlsaudio:{presence}:nodes']);
    expect(a.listeners().concurrent).toBe(0);
  });

  it('writes its presenceTracksPerNode most listened tracks and its exact listener count; another node sums them', async () => {
    const redis = await startRedis();
    const a = await presence({ url: redis.url, nodeId: 'node-a', presenceTtlMs: 500, presenceTracksPerNode: 2 });
    const b = await presence({ url: redis.url, nodeId: 'node-b', presenceTtlMs: 500 });
    for (const [connection, track] of [['c1', 'x'], ['c2', 'x'], ['c3', 'x'], ['c4', 'y'], ['c5', 'y'], ['c6', 'z']]) a.set(connection!, track);
    b.set('c7', 'z');
    const deadline = Date.now() + 3000;
    while (b.listeners().concurrent !== 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await redis.admin.hgetall('hlsaudio:{presence}:listening:node-a')).toMatchObject({ listeners: '6', 't:x': '3', 't:y': '2' });
    expect(await redis.admin.hexists('hlsaudio:{presence}:listening:node-a', 't:z')).toBe(0);
    expect(b.listeners()).toEqual({ concurrent: 7, byTrack: new Map([['z', 1], ['x', 3], ['y', 2]]) });
    // server_load: the busiest node's, its own when it is the busiest.
    expect(b.serverLoad(1)).toBe(1);
  });

  it('refuses a bad node id or TTL with the option error wording', async () => {
    await expect(RedisPresence.connect({ url: 'redis://127.0.0.1:1', nodeId: 'has space' })).rejects.toThrow('Expected `nodeId` to be 1 to 100 letters, digits, `.`, `:`, `_` or `-`, got "has space"');
    await expect(RedisPresence.connect({ url: 'redis://127.0.0.1:1', presenceTtlMs: 10 })).rejects.toThrow('Expected `presenceTtlMs` to be');
  });
});
