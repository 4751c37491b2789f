#!/usr/bin/env node
/**
 * What the shared presence and quotas of `serve --redis` cost Redis, as nodes and tracks grow.
 *
 *   heartbeat  N nodes (RedisPresence, each its own connection, in this process), each with T tracks
 *              playing, one listener each (a node writes its 100 most listened,
 *              presenceTracksPerNode), beating for `--seconds`: every 200 ms, or N x 40 ms beyond
 *              5 nodes (at most 25 heartbeats a second in all, the default pace of 50 nodes).
 *              Redis's own time per heartbeat script (INFO commandstats, `evalsha`), and the share
 *              of one Redis core all N nodes take at the default pace (every 2 s). The baseline, in
 *              the same run: one HGETALL of one node's hash, the least a node reads per other node.
 *   quota      `--checks` quota checks (reserve, then release) of one node among N, one at a time:
 *              round trip p50 and p99, against a PING round trip on the same connection.
 *
 *   npm run bench:presence [-- --nodes 2,10,50 --tracks 10,1000 --seconds 5 --checks 2000]
 *
 * Needs redis-server on PATH; it listens on 127.0.0.1, a free port.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { redisPresenceDefaults } from '../dist/defaults.js';
import { RedisPresence } from '../dist/realtime/index.js';
import { percentile } from './lib/stats.js';
import { startRedisServer } from './lib/redis-server.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2,10,50' },
    tracks: { type: 'string', default: '10,1000' },
    seconds: { type: 'string', default: '5' },
    checks: { type: 'string', default: '2000' },
  },
});
const list = (text) => text.split(',').map(Number);
const quiet = { error() {}, warn() {}, info() {} };
const DEFAULT_HEARTBEAT_MS = redisPresenceDefaults.presenceTtlMs / redisPresenceDefaults.presenceBeatsPerTtl;

/** Redis's time per call of `command` since the last CONFIG RESETSTAT, in µs, and the calls. */
async function commandStats(admin, command) {
  const info = await admin.info('commandstats');
  const line = info.split('\n').find((entry) => entry.startsWith(`cmdstat_${command}:`));
  const calls = Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
  const usecPerCall = Number(/usec_per_call=([\d.]+)/.exec(line ?? '')?.[1] ?? Number.NaN);
  return { calls, usecPerCall };
}

async function roundTrips(count, send) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await send();
    times.push(performance.now() - start);
  }
  return times;
}

const redis = await startRedisServer();
const admin = new Redis(redis.port, '127.0.0.1');
const rows = [];
try {
  for (const nodeCount of list(values.nodes)) {
    for (const trackCount of list(values.tracks)) {
      await admin.flushall();
      const nodes = await Promise.all(
        Array.from({ length: nodeCount }, (_, n) => RedisPresence.connect({ url: redis.url, nodeId: `bench-${n}`, presenceTtlMs: 5 * Math.max(200, nodeCount * 40), presenceBeatsPerTtl: 5, logger: quiet })),
      );
      for (const [n, node] of nodes.entries()) {
        for (let t = 0; t < trackCount; t++) node.set(`c${n}-${t}`, `track-${t}`);
      }
      await admin.config('RESETSTAT');
      await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
      const heartbeat = await commandStats(admin, 'evalsha');
      await admin.config('RESETSTAT');
      for (let i = 0; i < 200; i++) await admin.hgetall('hlsaudio:{presence}:listening:bench-0');
      const hgetall = await commandStats(admin, 'hgetall');
      // Check that every node saw every other: the figures are of full reads.
      const seen = nodes[0].listeners().concurrent;
      if (heartbeat.calls < nodeCount) throw new Error(`${heartbeat.calls} heartbeats in ${values.seconds} s from ${nodeCount} nodes: run longer`);
      if (seen !== nodeCount * trackCount) throw new Error(`node 0 counts ${seen} listeners, expected ${nodeCount * trackCount}`);

      const asks = [{ kind: 'user', id: 'bench-user', limit: 1_000_000 }];
      const quota = await roundTrips(Number(values.checks), async () => {
        const reservation = await nodes[0].quotas.reserve(asks);
        reservation.release();
      });
      const ping = await roundTrips(Number(values.checks), () => admin.ping());
      await Promise.all(nodes.map((node) => node.close()));
      const coreShare = (nodeCount * (1000 / DEFAULT_HEARTBEAT_MS) * heartbeat.usecPerCall) / 1e6;
      const row = ({
        nodes: nodeCount,
        'tracks per node': trackCount,
        'heartbeat µs (Redis)': heartbeat.usecPerCall.toFixed(0),
        'HGETALL µs (baseline)': hgetall.usecPerCall.toFixed(1),
        ratio: (heartbeat.usecPerCall / hgetall.usecPerCall).toFixed(0),
        'Redis core share at 2 s': `${(coreShare * 100).toFixed(2)} %`,
        'quota check p50/p99 ms': `${percentile(quota, 50).toFixed(2)} / ${percentile(quota, 99).toFixed(2)}`,
        'PING p50/p99 ms': `${percentile(ping, 50).toFixed(2)} / ${percentile(ping, 99).toFixed(2)}`,
        'quota / PING p50': (percentile(quota, 50) / percentile(ping, 50)).toFixed(2),
      });
      rows.push(row);
      console.error(`${nodeCount} nodes, ${trackCount} tracks each: done`);
    }
  }
} finally {
  admin.disconnect();
  await redis.stop();
}
console.table(rows);
