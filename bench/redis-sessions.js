#!/usr/bin/env node
/**
 * What keeping streaming sessions in Redis costs the manager, against memory, same work, same run.
 *
 * Each round gives AdaptiveStreamingManager one store: MemorySessionStore, or RedisSessionStore on a
 * redis-server this script starts (two managers on two connections, as two nodes, taking turns).
 * It creates `--sessions` sessions, then sends `--reports` metrics reports spread over them,
 * `--concurrency` at a time (the monitor judging each), and measures reports per second and the
 * latency of each report (p50, p99). Rounds alternate the two stores; medians are printed, with
 * Redis / memory ratios. No HTTP: this is the store's share of a sessions request.
 *
 *   npm run bench:redis-sessions [-- --sessions 1000 --reports 20000 --concurrency 50 --rounds 3]
 *
 * Needs redis-server on PATH and `npm run build` (it imports dist/). Listens on 127.0.0.1, a free port.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { median, percentile } from './lib/stats.js';
import { startRedisServer } from './lib/redis-server.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    reports: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const SESSIONS = Number(values.sessions);
const REPORTS = Number(values.reports);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const { AdaptiveStreamingManager } = await import('../dist/streaming/manager.js');
const { MemorySessionStore } = await import('../dist/streaming/session-store.js');
const { RedisSessionStore } = await import('../dist/streaming/redis-session-store.js');

const profiles = ['high', 'medium', 'low', 'mobile'].map((id) => JSON.parse(readFileSync(new URL(`../profiles/default/${id}.json`, import.meta.url), 'utf8')));
const track = {
  id: 'song',
  profiles,
  masters: [
    { file: 'master.m3u8', codec_family: 'aac', container: 'packed', profiles: ['high', 'medium', 'mobile'] },
    { file: 'master-mp3.m3u8', codec_family: 'mp3', container: 'packed', profiles: ['low'] },
  ],
};
const tracks = { getTrack: async () => track };
const capabilities = { estimated_bandwidth_kbps: 1000, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true };

/** One round: creations, then the reports; returns {reportsPerSec, p50, p99} (ms). */
async function round(managers) {
  const ids = [];
  for (let i = 0; i < SESSIONS; i++) {
    const { session } = await managers[i % managers.length].createSession({ trackId: 'song', capabilities, clientId: `c${i}` });
    ids.push(session.session_id);
  }
  const latencies = [];
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < REPORTS) {
      const i = next++;
      // A noisy link: the monitor steps down and up now and then, so some reports write a switch.
      const report = { buffer_health_percentage: i % 7 === 0 ? 20 : 90, download_speed_kbps: 2000, packet_loss_percentage: 0, latency_ms: 40 };
      const t = performance.now();
      await managers[i % managers.length].reportMetrics(ids[i % ids.length], report);
      latencies.push(performance.now() - t);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  for (const id of ids) await managers[0].endSession(id);
  return { reportsPerSec: REPORTS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const redis = await startRedisServer();
const results = { memory: [], redis: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const setup of r % 2 === 0 ? ['memory', 'redis'] : ['redis', 'memory']) {
      let managers;
      let stores = [];
      if (setup === 'memory') {
        const store = new MemorySessionStore();
        managers = [new AdaptiveStreamingManager(tracks, {}, store)];
      } else {
        const keyPrefix = `bench${r}`;
        stores = [await RedisSessionStore.connect({ url: redis.url, nodeId: `a${r}`, keyPrefix }), await RedisSessionStore.connect({ url: redis.url, nodeId: `b${r}`, keyPrefix })];
        managers = stores.map((store) => new AdaptiveStreamingManager(tracks, {}, store));
      }
      for (const manager of managers) manager.startQualityMonitor();
      results[setup].push(await round(managers));
      for (const manager of managers) manager.close();
      for (const store of stores) await store.close();
    }
  }
} finally {
  await redis.stop();
}

const med = (setup, key) => median(results[setup].map((result) => result[key]));
const rows = [
  ['reports per second', 'reportsPerSec', (v) => v.toFixed(0)],
  ['report latency p50 (ms)', 'p50', (v) => v.toFixed(2)],
  ['report latency p99 (ms)', 'p99', (v) => v.toFixed(2)],
];
console.log(`${SESSIONS} sessions, ${REPORTS} reports, ${CONCURRENCY} at a time, median of ${ROUNDS} rounds`);
console.log('| | memory | Redis (two managers) | ratio |');
console.log('| --- | --- | --- | --- |');
for (const [label, key, format] of rows) console.log(`| ${label} | ${format(med('memory', key))} | ${format(med('redis', key))} | ${(med('redis', key) / med('memory', key)).toFixed(2)} |`);
