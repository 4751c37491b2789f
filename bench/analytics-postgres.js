#!/usr/bin/env node
/**
 * Batched writes of the analytics store, PostgreSQL against SQLite, in one run: the same reports
 * (--plays plays, --reports progress reports each, one quality switch every 500) go through
 * AnalyticsEngine with its defaults (flushMaxRows 250) to a fresh SQLite file and to a fresh
 * database of a PostgreSQL 15 this script starts on a free port in a temporary folder (fsync on, as a
 * real server; as the `postgres` user when run as root). The reports are sent as fast as the store
 * takes them, yielding to the event loop every 250, and the time runs until the last row is written.
 * Rounds alternate the stores; medians are printed.
 *
 *   npm run bench:analytics-postgres [-- --plays 1000 --reports 50 --rounds 3]
 *
 * Figures: rows/s written (the wall time until everything is in the database), CPU ms of this
 * process per 1,000 rows (PostgreSQL's own server processes are not counted), and the write's time
 * on the event loop p50/p99 (SQLite: the whole transaction; PostgreSQL: building the batch).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AnalyticsEngine } from '../dist/analytics/engine.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    plays: { type: 'string', default: '1000' },
    reports: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const plays = Number(values.plays);
const reports = Number(values.reports);
const rounds = Number(values.rounds);
const BIN = '/usr/lib/postgresql/15/bin';

/** A PostgreSQL 15 cluster in a temporary folder (as test/helpers/postgres.ts starts it, with fsync on). */
async function startCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-pg-'));
  let prefix = [];
  if (userInfo().uid === 0) {
    const [, , uid, gid] = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('postgres:')).split(':');
    chownSync(dir, Number(uid), Number(gid));
    prefix = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  }
  const run = (command, args) => (prefix.length ? [prefix[0], [...prefix.slice(1), command, ...args]] : [command, args]);
  execFileSync(...run(join(BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'hls', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']), { stdio: 'ignore' });
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  const child = spawn(...run(join(BIN, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`]), { stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'hls', database: 'postgres' });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      if (tries > 400) throw error;
      await sleep(50);
    }
  }
  let databases = 0;
  return {
    async createDatabase() {
      const name = `bench_${++databases}`;
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'hls', database: 'postgres' });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return `postgres://hls@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runOnce(setup, cluster, work) {
  let now = Date.UTC(2024, 0, 1);
  const clock = () => now;
  const store =
    setup === 'sqlite' ? new AnalyticsEngine({ file: join(work, `${Math.random()}.db`), now: clock }) : await AnalyticsEngine.open({ url: await cluster.createDatabase(), now: clock });
  const ids = Array.from({ length: plays }, (_, index) =>
    store.startPlaySession({ userId: `user-${index}`, trackId: `track-${index % 200}`, ip: '10.0.0.1', durationMs: 10_000_000, quality: 'high', platform: 'Web' }),
  );
  await store.flush();
  const rowsStart = store.stats().rows_written;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  for (let report = 1; report <= reports; report++) {
    now += 2000;
    for (const id of ids) {
      store.updatePlayProgress(id, report * 2000, 80);
      if (++sent % 500 === 0) store.recordQualitySwitch(id, 'high', 'low', 'bandwidth');
      else if (sent % 500 === 1 && sent > 1) store.recordQualitySwitch(id, 'low', 'high', 'bandwidth_headroom');
      if (sent % 250 === 0) await yieldToLoop();
    }
  }
  await store.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const stats = store.stats();
  await store.close();
  const rows = stats.rows_written - rowsStart;
  if (stats.write_errors > 0 || stats.rows_dropped > 0) throw new Error(`${setup}: ${stats.write_errors} write errors, ${stats.rows_dropped} rows dropped`);
  return { rowsPerSecond: rows / seconds, cpuPer1000: ((cpu.user + cpu.system) / 1000 / rows) * 1000, writeP50: stats.write_ms.p50, writeP99: stats.write_ms.p99 };
}

const work = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-sqlite-'));
const cluster = await startCluster();
const results = { sqlite: [], postgres: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (const setup of round % 2 === 0 ? ['sqlite', 'postgres'] : ['postgres', 'sqlite']) results[setup].push(await runOnce(setup, cluster, work));
  }
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}

const fig = (setup, key) => median(results[setup].map((result) => result[key]));
console.log(`analytics writes, PostgreSQL 15 against SQLite: ${plays} plays x ${reports} reports, median of ${rounds} rounds (${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)})`);
console.log('| | SQLite (file) | PostgreSQL (loopback) | PostgreSQL / SQLite |');
console.log('| --- | --- | --- | --- |');
const row = (name, key, digits) => console.log(`| ${name} | ${fig('sqlite', key).toFixed(digits)} | ${fig('postgres', key).toFixed(digits)} | ${(fig('postgres', key) / fig('sqlite', key)).toFixed(2)} |`);
row('rows/s written', 'rowsPerSecond', 0);
row('CPU ms of this process per 1,000 rows', 'cpuPer1000', 1);
row('write on the event loop p50 (ms)', 'writeP50', 2);
row('write on the event loop p99 (ms)', 'writeP99', 2);
