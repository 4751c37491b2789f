import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/realtime/broker.js';
import { logTo } from '../../src/log.js';
import { RedisBroker } from '../../src/realtime/redis-broker.js';
import { streamKeys } from '../../src/realtime/redis-stream.js';
import { until } from '../helpers/realtime.js';
import { startRedis } from '../helpers/redis.js';

/** RedisBroker as a library, on a real redis-server: what the CLI tests cannot reach. */
const brokers: RedisBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

async function broker(options: Parameters<typeof RedisBroker.connect>[0]): Promise<{ broker: RedisBroker; got: Delivery[]; logs: string[] }> {
  const logs: string[] = [];
  const made = await RedisBroker.connect({ logger: logTo((_level, line) => logs.push(line)), ...options });
  brokers.push(made);
  const got: Delivery[] = [];
  made.subscribe((delivery) => got.push(delivery));
  return { broker: made, got, logs };
}

const numbered = (i: number): Delivery => ({ to: 'subscribers', event: { event: 'TrackLiked', track_id: 't', user_id: 'u', total_likes: i }, audience: ['u'] });
const numbers = (got: Delivery[]) => got.flatMap((delivery) => ('event' in delivery && delivery.event.event === 'TrackLiked' ? [delivery.event.total_likes] : []));
/** The EventsGap a node got, at `index` of what it got. */
const gapAt = (got: Delivery[], index: number) => {
  const delivery = got[index];
  return delivery?.to === 'all' ? delivery.event : undefined;
};

describe('RedisBroker', () => {
  it('delivers its own publications at once and once; the other node gets them in order', async () => {
    const redis = await startRedis();
    const a = await broker({ url: redis.url });
    const b = await broker({ url: redis.url });
    for (let i = 1; i <= 50; i++) a.broker.publish(numbered(i));
    // Synchronously, as the in-process broker: a command's events precede its answer.
    expect(numbers(a.got)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await until(() => b.got.length >= 50, 5000, 'node B');
    expect(numbers(b.got)).toEqual(numbers(a.got));
    // Once node A has B's next publication, its reader went past its own 50 entries: skipped, not delivered again.
    b.broker.publish(numbered(51));
    await until(() => a.got.length >= 51, 5000, 'node A');
    expect(numbers(a.got)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it('hands a publication to Redis before delivering it to its own connections, so the other nodes need not wait for them', async () => {
    const redis = await startRedis();
    const a = await broker({ url: redis.url });
    const b = await broker({ url: redis.url });
    // The first publication loads the publish script; the next goes out as one EVALSHA.
    a.broker.publish(numbered(1));
    await until(() => b.got.length === 1, 5000, 'node B');
    let inRedisMeanwhile = false;
    a.broker.subscribe((delivery) => {
      if (numbers([delivery])[0] !== 2) return;
      // Node A's own delivery, blocking as a loop over thousands of sockets does: Redis (another
      // process) must have the entry meanwhile. Handed over after the local delivery, it never could.
      const deadline = Date.now() + 3000;
      while (!inRedisMeanwhile && Date.now() < deadline) {
        inRedisMeanwhile = execFileSync('redis-cli', ['-p', String(redis.port), 'XLEN', streamKeys('hlsaudio').stream]).toString().trim() === '2';
      }
    });
    a.broker.publish(numbered(2));
    expect(inRedisMeanwhile).toBe(true);
    await until(() => b.got.length === 2, 5000, 'node B');
    expect(numbers(b.got)).toEqual([1, 2]);
  });

  it('beyond its buffer, drops the oldest publications waiting for Redis and tells the other nodes how many', async () => {
    const redis = await startRedis();
    const a = await broker({ url: redis.url, publishBufferEntries: 10, publishBatch: 5 });
    const b = await broker({ url: redis.url });
    redis.pause();
    try {
      for (let i = 1; i <= 40; i++) a.broker.publish(numbered(i));
      expect(numbers(a.got)).toHaveLength(40);
    } finally {
      redis.resume();
    }
    await until(() => numbers(b.got).at(-1) === 40, 5000, 'node B to get the last publication');
    const gapIndex = b.got.findIndex((delivery) => delivery.to === 'all');
    const gap = gapAt(b.got, gapIndex);
    expect(gap).toMatchObject({ event: 'EventsGap', reason: 'dropped' });
    const missed = gap?.event === 'EventsGap' ? gap.missed! : 0;
    const before = numbers(b.got.slice(0, gapIndex));
    const after = numbers(b.got.slice(gapIndex + 1));
    // What came is in order, the gap counts exactly what did not, and the buffer's bound held.
    expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i + 1));
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => 40 - after.length + 1 + i));
    expect(before.length + missed + after.length).toBe(40);
    expect(before.length + after.length).toBeLessThanOrEqual(10);
  });

  it('notices at once that a restarted Redis lost the stream, without waiting for a publication', async () => {
    const redis = await startRedis();
    const a = await broker({ url: redis.url, reconnectMaxMs: 200 });
    const b = await broker({ url: redis.url, reconnectMaxMs: 200 });
    a.broker.publish(numbered(1));
    await until(() => b.got.length === 1, 5000, 'node B');
    await redis.stop();
    await redis.start();
    // Nobody publishes on the new Redis: the reader's check on reconnection finds its entry gone.
    await until(() => b.got.length === 2, 5000, 'the gap signal');
    expect(gapAt(b.got, 1)).toEqual({ event: 'EventsGap', missed: null, reason: 'reset' });
    // And it reads the new stream from its start.
    a.broker.publish(numbered(2));
    await until(() => b.got.length === 3, 5000, 'node B after the restart');
    expect(numbers(b.got)).toEqual([1, 2]);
  });

  it('takes a Redis frozen past socketTimeoutMs for an outage (degraded), and loses nothing when it thaws', async () => {
    const redis = await startRedis();
    const fast = { url: redis.url, socketTimeoutMs: 300, readBlockMs: 200, reconnectMaxMs: 200 };
    const a = await broker(fast);
    const b = await broker(fast);
    redis.pause();
    try {
      for (let i = 1; i <= 20; i++) a.broker.publish(numbered(i));
      await until(() => a.broker.degradedReason() !== undefined && b.broker.degradedReason() !== undefined, 5000, 'both nodes to see the outage');
      expect(a.broker.degradedReason()).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ unreachable since .* \(Socket timeout/);
    } finally {
      redis.resume();
    }
    await until(() => b.got.length >= 20, 5000, 'node B');
    expect(numbers(b.got)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await until(() => a.broker.degradedReason() === undefined, 5000, 'node A to recover');
    expect(a.logs.filter((line) => /lost Redis/.test(line))).toHaveLength(1);
    expect(a.logs.filter((line) => /is back after/.test(line))).toHaveLength(1);
  });

  it('sends what waits for Redis before it closes', async () => {
    const redis = await startRedis();
    const a = await broker({ url: redis.url });
    for (let i = 1; i <= 20; i++) a.broker.publish(numbered(i));
    await a.broker.close();
    expect(await redis.admin.xlen('hlsaudio:{events}')).toBe(20);
  });

  it('refuses bad options by name', async () => {
    await expect(RedisBroker.connect({ url: 'redis://127.0.0.1:1', streamMaxLen: 0 })).rejects.toThrow('Expected `streamMaxLen` to be an integer >= 1, got number 0');
    await expect(RedisBroker.connect({ url: 'redis://127.0.0.1:1', keyPrefix: 'a b' })).rejects.toThrow('Expected `keyPrefix` to be 1 to 100 letters, digits, `.`, `:`, `_` or `-`, got "a b"');
    await expect(RedisBroker.connect({ url: 'redis://127.0.0.1:1', nodeId: 'node one' })).rejects.toThrow('Expected `nodeId` to be 1 to 100 letters, digits, `.`, `:`, `_` or `-`, got "node one"');
  });
});
