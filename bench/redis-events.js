#!/usr/bin/env node
/**
 * Cross-node event delivery through Redis against one node, same clients, same run.
 *
 * Each round runs either one event server (the in-process broker) with every connection, or two
 * event servers sharing events through a redis-server this script starts (RedisBroker), with the
 * connections split between them. In both cases the first server broadcasts, in two phases:
 *   rate     `--burst` broadcasts back to back; rate = broadcasts / (first send to last delivery on
 *            any connection of either node)
 *   latency  `--paced` broadcasts `--interval` ms apart; latency = delivery time - send time, over
 *            every delivery to every connection (p50, p99); in the two-node case half of them crossed
 *            Redis.
 * Each round also reports the CPU time (user + system, over both phases) per delivery of the servers
 * (every node's) and of the client processes, which share the same cores. Rounds alternate the two setups; medians are printed, with two-node / one-node ratios.
 * `--baseline <dir>` compares two nodes of this build against two nodes of hlsaudio built in another
 * folder (its `dist/`: an earlier commit, `git archive <commit> | tar -x`, then `npx tsc`) instead, to
 * measure a change.
 *
 *   npm run bench:redis-events [-- --connections 2000 --rounds 3 --burst 50 --paced 30 --interval 100 --baseline <dir>]
 *
 * Needs redis-server on PATH. Everything listens on 127.0.0.1, free ports.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { child as spawnChild } from './lib/child.js';
import { startRedisServer } from './lib/redis-server.js';
import { median, percentile } from './lib/stats.js';
import { clientRole } from './lib/ws-clients.js';

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    redis: { type: 'string' },
    connections: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    burst: { type: 'string', default: '50' },
    paced: { type: 'string', default: '30' },
    interval: { type: 'string', default: '100' },
    baseline: { type: 'string' },
    dist: { type: 'string' },
  },
});

function child(args) {
  return spawnChild(fileURLToPath(import.meta.url), args);
}

// A server process: the event server, with the in-process broker or RedisBroker (`--redis <url>`).

/** The servers' own log lines would mix with the figures; the bench reports what it measures. */
const quiet = { error() {}, warn() {}, info() {} };

async function serverRole(redisUrl, dist) {
  const { attachRealtime, RedisBroker } = await import(dist ? pathToFileURL(join(dist, 'dist/realtime/index.js')).href : '../dist/realtime/index.js');
  const http = createServer();
  await new Promise((resolve) => http.listen(0, '127.0.0.1', 2048, resolve));
  const dataDir = join(here, 'output', `redis-events-data-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const broker = redisUrl ? await RedisBroker.connect({ url: redisUrl }) : undefined;
  const realtime = await attachRealtime(http, { tracks: { get: () => undefined }, dataDir, logger: quiet, broker }, { wsMaxConnections: 0, wsMaxConnectionsPerAddress: 0, liveStatsIntervalMs: 0 });
  // CPU time from the moment every client is connected: what the two phases cost this node.
  let cpuMark;
  process.send({ type: 'listening', url: `ws://127.0.0.1:${http.address().port}/api/ws` });
  process.on('message', async (message) => {
    if (message.type === 'count') {
      cpuMark = process.cpuUsage();
      process.send({ type: 'count', connections: realtime.manager.size });
    }
    if (message.type === 'cpu') {
      const used = process.cpuUsage(cpuMark);
      process.send({ type: 'cpu', cpuMicros: used.user + used.system });
    }
    if (message.type === 'broadcast') {
      const { phase, total, intervalMs } = message;
      const firstAt = now();
      for (let seq = 0; seq < total; seq++) {
        realtime.manager.broadcastEvent({ event: 'ServerMessage', message: `${phase} ${seq} ${now()}`, level: 'Info' });
        await new Promise((resolve) => (intervalMs > 0 ? setTimeout(resolve, intervalMs) : setImmediate(resolve)));
      }
      process.send({ type: 'sent', firstAt });
    }
    if (message.type === 'close') {
      await realtime.close();
      await broker?.close();
      http.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.send({ type: 'closed' });
      process.disconnect();
    }
  });
}

// The orchestrator.


async function round(setup, options) {
  const redis = setup === 'one' ? undefined : await startRedisServer();
  const dist = setup === 'baseline' ? ['--dist', options.baseline] : [];
  const servers = (setup === 'one' ? [0] : [0, 1]).map(() => child(['--role', 'server', ...(redis ? ['--redis', redis.url] : []), ...dist]));
  const urls = (await Promise.all(servers.map((server) => server.next('listening')))).map((message) => message.url);
  // Two client processes in both setups; in the two-node one, each talks to its own node.
  const half = Math.ceil(options.connections / 2);
  const clients = [0, 1].map(() => child(['--role', 'clients']));
  clients.forEach((client, index) => client.send({ type: 'connect', url: urls[index % urls.length], count: index === 0 ? half : options.connections - half }));
  await Promise.all(clients.map((client) => client.next('connected')));
  for (const server of servers) server.send({ type: 'count' });
  const open = (await Promise.all(servers.map((server) => server.next('count')))).reduce((sum, message) => sum + message.connections, 0);
  if (open !== options.connections) throw new Error(`${setup}: ${open} connections open, expected ${options.connections}`);

  const phase = async (name, total, intervalMs) => {
    for (const client of clients) client.send({ type: 'expect', phase: name, total });
    servers[0].send({ type: 'broadcast', phase: name, total, intervalMs });
    const [{ firstAt }, ...results] = await Promise.all([servers[0].next('sent'), ...clients.map((client) => client.next('phase'))]);
    return {
      firstAt,
      lastAt: Math.max(...results.map((result) => result.lastAt)),
      latencies: results.flatMap((result) => result.latencies),
      clientCpuMicros: results.reduce((sum, result) => sum + result.cpuMicros, 0),
    };
  };
  const burst = await phase('rate', options.burst, 0);
  const paced = await phase('latency', options.paced, options.interval);
  const latencies = paced.latencies.sort((a, b) => a - b);
  for (const server of servers) server.send({ type: 'cpu' });
  const cpuMicros = (await Promise.all(servers.map((server) => server.next('cpu')))).reduce((sum, message) => sum + message.cpuMicros, 0);
  for (const server of servers) server.send({ type: 'close' });
  for (const client of clients) client.send({ type: 'close' });
  await Promise.all([...servers, ...clients].map((proc) => proc.next('closed')));
  await Promise.all([...servers, ...clients].map((proc) => proc.exited));
  await redis?.stop();
  return {
    broadcastsPerSec: options.burst / ((burst.lastAt - burst.firstAt) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMicrosPerDelivery: cpuMicros / ((options.burst + options.paced) * options.connections),
    clientCpuMicrosPerDelivery: (burst.clientCpuMicros + paced.clientCpuMicros) / ((options.burst + options.paced) * options.connections),
  };
}

async function main() {
  const options = {
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    burst: Number(values.burst),
    paced: Number(values.paced),
    interval: Number(values.interval),
    baseline: values.baseline,
  };
  console.log(
    `bench:redis-events: ${options.connections} connections, ${options.rounds} rounds, ${options.burst} broadcasts back to back, ${options.paced} broadcasts ${options.interval} ms apart${options.baseline ? `; two nodes against two nodes of hlsaudio in ${options.baseline}` : ''}`,
  );
  // Without a baseline: one node against two; with one: two nodes of this build against two of the baseline's.
  const [base, other] = options.baseline ? ['baseline', 'two'] : ['one', 'two'];
  const label = { one: 'one node ', two: 'two nodes', baseline: 'baseline ' };
  const results = { [base]: [], [other]: [] };
  for (let index = 0; index < options.rounds; index++) {
    const order = index % 2 === 0 ? [base, other] : [other, base];
    for (const setup of order) {
      const result = await round(setup, options);
      results[setup].push(result);
      console.log(`  round ${index + 1} ${label[setup]} ${result.broadcastsPerSec.toFixed(1).padStart(7)} broadcasts/s  server CPU ${result.cpuMicrosPerDelivery.toFixed(2)} µs/delivery (clients ${result.clientCpuMicrosPerDelivery.toFixed(2)})  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms`);
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([setup, list]) => [
      setup,
      {
        rate: median(list.map((result) => result.broadcastsPerSec)),
        p50: median(list.map((result) => result.p50)),
        p99: median(list.map((result) => result.p99)),
        cpu: median(list.map((result) => result.cpuMicrosPerDelivery)),
        clientCpu: median(list.map((result) => result.clientCpuMicrosPerDelivery)),
      },
    ]),
  );
  console.log('\nmedians');
  for (const [setup, figures] of Object.entries(summary)) {
    console.log(`  ${label[setup]} ${figures.rate.toFixed(1)} broadcasts/s (${Math.round(figures.rate * options.connections)} deliveries/s)  server CPU ${figures.cpu.toFixed(2)} µs/delivery (clients ${figures.clientCpu.toFixed(2)})  p50 ${figures.p50.toFixed(1)} ms  p99 ${figures.p99.toFixed(1)} ms`);
  }
  console.log(`  two / ${base}: rate ${(summary.two.rate / summary[base].rate).toFixed(2)}, p50 ${(summary.two.p50 / summary[base].p50).toFixed(2)}, p99 ${(summary.two.p99 / summary[base].p99).toFixed(2)}, server CPU ${(summary.two.cpu / summary[base].cpu).toFixed(2)}`);
}

if (values.role === 'server') await serverRole(values.redis, values.dist);
else if (values.role === 'clients') await clientRole();
else await main();
