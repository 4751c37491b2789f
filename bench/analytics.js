#!/usr/bin/env node
/**
 * Load test of the analytics store: simulated listeners send progress reports at a realistic rate,
 * compressed in time, to one AnalyticsEngine on a real file. The same load runs in three setups,
 * alternating, for a few rounds, and the median of each figure is printed:
 * - batched: the defaults (flushMaxRows rows or flushIntervalMs per transaction, WAL checkpoints in
 *   a worker thread);
 * - loop-checkpoints: the same with checkpointIntervalMs 0 (SQLite checkpoints on the writing
 *   connection, on the event loop);
 * - unbatched: one transaction per row (flushMaxRows 1);
 * - baseline: the load generator alone, with calls that do nothing: what this machine's event loop
 *   shows with no store at all.
 * Then the summary of a large database (--summary-plays ended plays, written by SQL): how long it
 * takes and how long the event loop stood still meanwhile, in the worker thread and on the writing
 * connection (the fallback when the worker is gone).
 *
 *   npm run bench:analytics [-- --listeners 5000 --interval-ms 2000 --speedup 10 --seconds 6 --rounds 3]
 *   (--max-rows N sets flushMaxRows of the batched setups; --setups batched,loop-checkpoints,unbatched picks setups)
 *
 * Figures: rows/s written, write (flush) duration p50/p99, event-loop delay p99
 * (perf_hooks.monitorEventLoopDelay), and CPU ms per 1000 reports. The event loop also runs the load
 * generator, so a blocked loop shows as bunched reports, as on a real server.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AnalyticsEngine } from '../dist/analytics/engine.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    listeners: { type: 'string', default: '5000' },
    'interval-ms': { type: 'string', default: '2000' },
    speedup: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    'max-rows': { type: 'string' },
    setups: { type: 'string' },
    'summary-plays': { type: 'string', default: '200000' },
  },
});
const listeners = Number(values.listeners);
const intervalMs = Number(values['interval-ms']);
const speedup = Number(values.speedup);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const maxRows = values['max-rows'] ? { flushMaxRows: Number(values['max-rows']) } : {};
const ALL_SETUPS = {
  batched: maxRows,
  'loop-checkpoints': { checkpointIntervalMs: 0, ...maxRows },
  unbatched: { flushMaxRows: 1 },
  baseline: undefined,
};

/** The store's calls as no-ops, for the baseline. */
class NoStore {
  sessions = 0;
  startPlaySession() {
    return String(this.sessions++);
  }
  updatePlayProgress() {}
  endPlaySession() {}
  recordQualitySwitch() {}
  flush() {}
  close() {}
  stats() {
    return { rows_written: 0, write_ms: { p50: 0, p99: 0 } };
  }
}
const SETUPS = Object.fromEntries(Object.entries(ALL_SETUPS).filter(([name]) => !values.setups || values.setups.split(',').includes(name)));
const work = join(dirname(fileURLToPath(import.meta.url)), 'output', 'analytics');
mkdirSync(work, { recursive: true });

const TRACKS = 200;
const trackDurationMs = (track) => 150_000 + ((track * 7919) % 120_000);
const QUALITIES = ['high', 'medium', 'mobile', 'low'];

/** One run: `listeners` plays reporting every intervalMs of simulated time, for `seconds` of wall time. */
async function run(setup, round) {
  const file = join(work, `${setup}-${round}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const wallStart = Date.now();
  // Simulated time runs `speedup` times faster than the wall, for the store's listened-time rule too.
  const now = () => wallStart + (Date.now() - wallStart) * speedup;
  const store = SETUPS[setup] ? new AnalyticsEngine({ file, now, ...SETUPS[setup] }) : new NoStore();

  const plays = [];
  const startPlay = (index, atMs) => {
    const track = (index * 31 + plays.length) % TRACKS;
    const durationMs = trackDurationMs(track);
    const startPositionMs = plays[index] ? 0 : Math.floor(Math.random() * durationMs * 0.9);
    const id = store.startPlaySession({
      userId: `user-${index}`,
      trackId: `track-${track}`,
      ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
      userAgent: 'bench/1.0',
      durationMs,
      quality: QUALITIES[index % QUALITIES.length],
      platform: 'Web',
      startPositionMs,
    });
    plays[index] = { id, durationMs, positionMs: startPositionMs, lastMs: atMs };
  };
  for (let index = 0; index < listeners; index++) startPlay(index, now());
  store.flush();

  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const reportsPerWallMs = (listeners / intervalMs) * speedup;
  const measuredStart = performance.now();
  const cpuStart = process.cpuUsage();
  const rowsStart = store.stats().rows_written;
  histogram.enable();
  let sent = 0;
  let next = 0;
  while (performance.now() - measuredStart < seconds * 1000) {
    // Every report due by now, round robin over the listeners, each at its own simulated position.
    const due = Math.floor((performance.now() - measuredStart) * reportsPerWallMs);
    const at = now();
    for (; sent < due; sent++) {
      const index = next;
      next = (next + 1) % listeners;
      const play = plays[index];
      play.positionMs += at - play.lastMs;
      play.lastMs = at;
      if (play.positionMs >= play.durationMs) {
        store.endPlaySession(play.id, play.durationMs);
        startPlay(index, at);
        continue;
      }
      store.updatePlayProgress(play.id, play.positionMs, 60 + (index % 40));
      if (sent % 500 === 0) store.recordQualitySwitch(play.id, QUALITIES[index % 4], QUALITIES[(index + 1) % 4], 'player');
    }
    await sleep(1);
  }
  histogram.disable();
  const elapsedSec = (performance.now() - measuredStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const stats = store.stats();
  store.close();
  return {
    offeredPerSec: sent / elapsedSec,
    rowsPerSec: (stats.rows_written - rowsStart) / elapsedSec,
    writeP50Ms: stats.write_ms.p50,
    writeP99Ms: stats.write_ms.p99,
    loopP99Ms: histogram.percentile(99) / 1e6,
    cpuMsPer1000: (cpu.user + cpu.system) / 1000 / (sent / 1000),
  };
}

const summaryPlays = Number(values['summary-plays']);

/** Summary of `summaryPlays` ended plays over 500 tracks, with a browser's user agent: rows as wide as real ones. */
async function summaryRound(round) {
  const file = join(work, `summary-${round}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  new AnalyticsEngine({ file }).close();
  const db = new DatabaseSync(file);
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${summaryPlays})
    INSERT INTO play_sessions (session_id, user_id, track_id, ip, user_agent, platform, referrer, duration_ms, start_quality, quality,
      started_at_ms, last_seen_at_ms, last_progress_at_ms, position_ms, listened_ms, covered_ms, covered_ranges, quality_listened_ms,
      progress_updates, buffer_health_sum, buffer_health_reports, ended_at_ms, end_reason, completed)
    SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'user-' || (i % 5000), 'track-' || (i % 500), '203.0.113.' || (i % 250),
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Web',
      'https://example.org/player', 200000, 'high', 'medium', i, i, i, 190000, 190000, 190000, '[[0,190000]]',
      '{"high":120000,"medium":70000}', 95, 8000.0, 95, i, 'Ended', 1 FROM n`);
  db.close();
  const store = new AnalyticsEngine({ file });
  const measure = async () => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    // The histogram's timer must be running before the loop blocks, and fire late after, to see it.
    await sleep(20);
    const started = performance.now();
    await store.summary();
    const ms = performance.now() - started;
    await sleep(20);
    histogram.disable();
    return { ms, loopMaxMs: histogram.max / 1e6 };
  };
  await measure();
  const inWorker = await measure();
  // The store's private worker, stopped as a crash would stop it: reads fall back to the writing connection.
  const worker = store.store.background.worker;
  await Promise.all([new Promise((resolve) => worker.once('exit', resolve)), worker.terminate()]);
  const onLoop = await measure();
  store.close();
  return { inWorker, onLoop };
}

const results = Object.fromEntries(Object.keys(SETUPS).map((setup) => [setup, []]));
/**
 * Lets the previous run's writes reach the disk before the next run starts: an unbatched run leaves
 * tens of MB of dirty pages, whose writeback otherwise stalls the next run's writes.
 */
async function settle() {
  spawnSync('sync');
  await sleep(1000);
}

const loadAverages = [];
for (let round = 0; round < rounds; round++) {
  for (const setup of Object.keys(SETUPS)) {
    await settle();
    results[setup].push(await run(setup, round));
    loadAverages.push(loadavg()[0]);
  }
}
const figures = Object.fromEntries(
  Object.entries(results).map(([setup, list]) => [setup, Object.fromEntries(Object.keys(list[0]).map((key) => [key, median(list.map((result) => result[key]))]))]),
);
console.log(
  `bench/analytics: ${listeners} listeners reporting every ${intervalMs} ms, time x${speedup} ` +
    `(${Math.round((listeners / intervalMs) * speedup * 1000)} reports/s offered), ${seconds} s per run, ` +
    `median of ${rounds} rounds, ${availableParallelism()} cores`,
);
const rows = [
  ['reports/s sent', 'offeredPerSec', 0],
  ['rows/s written', 'rowsPerSec', 0],
  ['write p50 (ms)', 'writeP50Ms', 3],
  ['write p99 (ms)', 'writeP99Ms', 3],
  ['event-loop delay p99 (ms)', 'loopP99Ms', 2],
  ['CPU ms per 1000 reports', 'cpuMsPer1000', 2],
];
const names = Object.keys(SETUPS);
console.log(`${''.padEnd(28)}${names.map((name) => name.padStart(18)).join('')}`);
for (const [label, key, digits] of rows) {
  console.log(`  ${label.padEnd(26)}${names.map((name) => figures[name][key].toFixed(digits).padStart(18)).join('')}`);
}
const { batched, unbatched, baseline } = figures;
const onLoop = figures['loop-checkpoints'];
if (batched && unbatched) {
  console.log(
    `  unbatched / batched: event-loop delay p99 x${(unbatched.loopP99Ms / batched.loopP99Ms).toFixed(1)}, ` +
      `CPU per report x${(unbatched.cpuMsPer1000 / batched.cpuMsPer1000).toFixed(1)}, rows/s x${(unbatched.rowsPerSec / batched.rowsPerSec).toFixed(2)}`,
  );
}
if (batched && baseline) {
  const extra = batched.loopP99Ms - baseline.loopP99Ms;
  console.log(`  batched over baseline: event-loop delay p99 ${extra >= 0 ? "+" : ""}${extra.toFixed(2)} ms`);
}
if (batched && onLoop) {
  console.log(
    `  checkpoints on the loop / in the worker: write p99 x${(onLoop.writeP99Ms / batched.writeP99Ms).toFixed(1)}, ` +
      `event-loop delay p99 x${(onLoop.loopP99Ms / batched.loopP99Ms).toFixed(1)}`,
  );
}
const summaries = [];
for (let round = 0; round < rounds; round++) {
  await settle();
  summaries.push(await summaryRound(round));
}
const summaryFigure = (where, key) => median(summaries.map((result) => result[where][key]));
console.log(`summary of ${summaryPlays} plays (median of ${rounds}):`);
console.log(`  in the worker thread       ${summaryFigure('inWorker', 'ms').toFixed(0)} ms, event loop still at most ${summaryFigure('inWorker', 'loopMaxMs').toFixed(1)} ms`);
console.log(`  on the writing connection  ${summaryFigure('onLoop', 'ms').toFixed(0)} ms, event loop still at most ${summaryFigure('onLoop', 'loopMaxMs').toFixed(1)} ms`);
console.log(`  load average during the runs: ${loadAverages.map((load) => load.toFixed(1)).join(', ')} (other processes share the cores)`);
