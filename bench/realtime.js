#!/usr/bin/env node
/**
 * The event server's broadcast against a bare `ws` broadcast loop, same clients, same run.
 *
 * Each round starts one server process (hlsaudio's `attachRealtime`, or a plain ws server that sends
 * every message to every client) and client processes that open N connections to it, each sending a
 * Subscribe to ServerMessage (the plain server answers it with a fixed response, so both carry the
 * same traffic). The server then sends, in two phases:
 *   rate     `--burst` broadcasts back to back; rate = broadcasts / (first send to last delivery), and
 *            the server's CPU time per delivery (user + system), which the clients' speed does not bound
 *   latency  `--paced` broadcasts `--interval` ms apart; latency = delivery time - send time, over
 *            every delivery to every connection (p50, p99)
 *   commands `--commands` Pings sent back to back by every connection (the rate limit raised out of
 *            the way); the server's CPU time per answered command, and answers per second
 * and reports its resident memory per connection (RSS with N connections minus RSS before, after GC).
 * Rounds alternate the two servers; medians are printed, with hlsaudio / ws ratios.
 * `--baseline <dir>` compares against hlsaudio built in another folder (its `dist/`: an earlier
 * commit, `git archive <commit> | tar -x`, then `npx tsc`) instead of bare ws, to measure a change.
 *
 *   npm run bench:realtime [-- --connections 5000 --rounds 3 --burst 50 --paced 30 --interval 100 --commands 20]
 *
 * Processes run with the hard limit of open files; everything listens on 127.0.0.1, port 0.
 */
import { createServer } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { median, percentile } from './lib/stats.js';
import { child as spawnChild } from './lib/child.js';
import { clientRole } from './lib/ws-clients.js';

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    kind: { type: 'string', default: 'hlsaudio' },
    connections: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    burst: { type: 'string', default: '50' },
    paced: { type: 'string', default: '30' },
    interval: { type: 'string', default: '100' },
    'client-processes': { type: 'string', default: '2' },
    commands: { type: 'string', default: '20' },
    baseline: { type: 'string' },
    dist: { type: 'string' },
  },
});

function child(args) {
  return spawnChild(fileURLToPath(import.meta.url), args, ['--expose-gc']);
}

// The server process: hlsaudio or bare ws, same HTTP server, same message.

/** The servers' own log lines would mix with the figures; the bench reports what it measures. */
const quiet = { error() {}, warn() {}, info() {} };

async function serverRole(kind, dist) {
  const http = createServer();
  await new Promise((resolve) => http.listen(0, '127.0.0.1', 2048, resolve));
  const url = `ws://127.0.0.1:${http.address().port}/api/ws`;
  let broadcast;
  let closeAll;
  let count;
  if (kind === 'hlsaudio') {
    const { attachRealtime } = await import(dist ? pathToFileURL(join(dist, 'dist/realtime/index.js')).href : '../dist/realtime/index.js');
    const dataDir = join(here, 'output', `realtime-data-${process.pid}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const realtime = await attachRealtime(
      http,
      { tracks: { get: () => undefined }, dataDir, logger: quiet },
      // Every client connects from 127.0.0.1 without a token; the commands phase measures the command path, not the rate limit.
      { wsMaxConnections: 0, wsMaxConnectionsPerAddress: 0, liveStatsIntervalMs: 0, wsCommandRatePerSec: 1e6, wsCommandBurst: 1e6 },
    );
    broadcast = (message) => realtime.manager.broadcastEvent({ event: 'ServerMessage', message, level: 'Info' });
    count = () => realtime.manager.size;
    closeAll = async () => {
      await realtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else {
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    // The same traffic per connection as hlsaudio's Subscribe and its response, so memory compares state, not I/O.
    wss.on('connection', (socket) => socket.on('message', () => socket.send('{"event":"CommandResponse","command_id":"s","success":true,"data":null,"error":null}')));
    broadcast = (message) => {
      const data = JSON.stringify({ event: 'ServerMessage', message, level: 'Info' });
      for (const client of wss.clients) client.send(data);
    };
    count = () => wss.clients.size;
    closeAll = async () => {
      const closed = [...wss.clients].map((client) => new Promise((resolve) => client.once('close', resolve)));
      for (const client of wss.clients) client.close(1001);
      await Promise.all(closed);
    };
  }
  const rss = () => {
    global.gc();
    global.gc();
    return process.memoryUsage().rss;
  };
  let cpuMark;
  process.send({ type: 'listening', url, rss: rss() });
  process.on('message', async (message) => {
    if (message.type === 'memory') process.send({ type: 'memory', rss: rss(), connections: count() });
    if (message.type === 'cpu-mark') {
      cpuMark = process.cpuUsage();
      process.send({ type: 'cpu-marked' });
    }
    if (message.type === 'cpu-read') {
      const used = process.cpuUsage(cpuMark);
      process.send({ type: 'cpu', cpuMicros: used.user + used.system });
    }
    if (message.type === 'broadcast') {
      const { phase, total, intervalMs } = message;
      const cpu = process.cpuUsage();
      const firstAt = now();
      for (let seq = 0; seq < total; seq++) {
        broadcast(`${phase} ${seq} ${now()}`);
        // Back to back, the loop still yields between broadcasts so sockets drain, as in a live server.
        await new Promise((resolve) => (intervalMs > 0 ? setTimeout(resolve, intervalMs) : setImmediate(resolve)));
      }
      // The socket writes of the last broadcast finish after it returns; one more turn lets them count.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const used = process.cpuUsage(cpu);
      process.send({ type: 'sent', firstAt, cpuMicros: used.user + used.system });
    }
    if (message.type === 'close') {
      await closeAll();
      http.close();
      process.send({ type: 'closed' });
      process.disconnect();
    }
  });
}

// The orchestrator.

async function round(kind, options) {
  const server = child(['--role', 'server', '--kind', kind === 'bare' ? 'bare' : 'hlsaudio', ...(kind === 'baseline' ? ['--dist', options.baseline] : [])]);
  const { url, rss: rssBefore } = await server.next('listening');
  const perProcess = Math.ceil(options.connections / options.clientProcesses);
  const clients = Array.from({ length: options.clientProcesses }, () => child(['--role', 'clients']));
  clients.forEach((client, index) => client.send({ type: 'connect', url, count: Math.min(perProcess, options.connections - index * perProcess) }));
  await Promise.all(clients.map((client) => client.next('connected')));
  server.send({ type: 'memory' });
  const memory = await server.next('memory');
  if (memory.connections !== options.connections) throw new Error(`${kind}: ${memory.connections} connections open, expected ${options.connections}`);

  const phase = async (name, total, intervalMs) => {
    for (const client of clients) client.send({ type: 'expect', phase: name, total });
    server.send({ type: 'broadcast', phase: name, total, intervalMs });
    const [{ firstAt, cpuMicros }, ...results] = await Promise.all([server.next('sent'), ...clients.map((client) => client.next('phase'))]);
    return { firstAt, cpuMicros, lastAt: Math.max(...results.map((result) => result.lastAt)), latencies: results.flatMap((result) => result.latencies) };
  };
  const burst = await phase('rate', options.burst, 0);
  const paced = await phase('latency', options.paced, options.interval);
  server.send({ type: 'cpu-mark' });
  await server.next('cpu-marked');
  for (const client of clients) client.send({ type: 'commands', count: options.commands });
  const answered = await Promise.all(clients.map((client) => client.next('commanded')));
  server.send({ type: 'cpu-read' });
  const { cpuMicros: commandCpuMicros } = await server.next('cpu');
  const commandsMs = Math.max(...answered.map((result) => result.lastAt)) - Math.min(...answered.map((result) => result.firstAt));
  const latencies = paced.latencies.sort((a, b) => a - b);
  server.send({ type: 'close' });
  for (const client of clients) client.send({ type: 'close' });
  await server.next('closed');
  await Promise.all(clients.map((client) => client.next('closed')));
  await Promise.all([server.exited, ...clients.map((client) => client.exited)]);
  return {
    broadcastsPerSec: options.burst / ((burst.lastAt - burst.firstAt) / 1000),
    cpuMicrosPerDelivery: burst.cpuMicros / (options.burst * options.connections),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    bytesPerConnection: (memory.rss - rssBefore) / options.connections,
    cpuMicrosPerCommand: commandCpuMicros / (options.commands * options.connections),
    commandsPerSec: (options.commands * options.connections) / (commandsMs / 1000),
  };
}

async function main() {
  const options = {
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    burst: Number(values.burst),
    paced: Number(values.paced),
    interval: Number(values.interval),
    clientProcesses: Number(values['client-processes']),
    commands: Number(values.commands),
    baseline: values.baseline,
  };
  const other = options.baseline ? 'baseline' : 'ws';
  console.log(
    `bench:realtime: ${options.connections} connections, ${options.rounds} rounds, ${options.burst} broadcasts back to back, ${options.paced} broadcasts ${options.interval} ms apart, ${options.commands} Pings per connection${options.baseline ? `; against hlsaudio in ${options.baseline}` : ''}`,
  );
  const results = { hlsaudio: [], [other]: [] };
  for (let index = 0; index < options.rounds; index++) {
    // Alternate which server goes first, so neither always runs on a warmer or busier machine.
    const order = index % 2 === 0 ? ['hlsaudio', other] : [other, 'hlsaudio'];
    for (const kind of order) {
      const result = await round(kind === 'ws' ? 'bare' : kind, options);
      results[kind].push(result);
      console.log(
        `  round ${index + 1} ${kind.padEnd(8)} ${result.broadcastsPerSec.toFixed(1).padStart(7)} broadcasts/s  server CPU ${result.cpuMicrosPerDelivery.toFixed(2)} µs/delivery  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms  ${(result.bytesPerConnection / 1024).toFixed(1)} KiB/connection  commands: CPU ${result.cpuMicrosPerCommand.toFixed(2)} µs, ${Math.round(result.commandsPerSec)}/s`,
      );
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([kind, list]) => [
      kind,
      {
        broadcastsPerSec: median(list.map((result) => result.broadcastsPerSec)),
        deliveriesPerSec: median(list.map((result) => result.broadcastsPerSec)) * options.connections,
        cpuMicrosPerDelivery: median(list.map((result) => result.cpuMicrosPerDelivery)),
        p50Ms: median(list.map((result) => result.p50)),
        p99Ms: median(list.map((result) => result.p99)),
        kibPerConnection: median(list.map((result) => result.bytesPerConnection)) / 1024,
        cpuMicrosPerCommand: median(list.map((result) => result.cpuMicrosPerCommand)),
        commandsPerSec: median(list.map((result) => result.commandsPerSec)),
      },
    ]),
  );
  console.log('\nmedians');
  for (const [kind, figures] of Object.entries(summary)) {
    console.log(
      `  ${kind.padEnd(8)} ${figures.broadcastsPerSec.toFixed(1)} broadcasts/s (${Math.round(figures.deliveriesPerSec)} deliveries/s)  server CPU ${figures.cpuMicrosPerDelivery.toFixed(2)} µs/delivery  p50 ${figures.p50Ms.toFixed(1)} ms  p99 ${figures.p99Ms.toFixed(1)} ms  ${figures.kibPerConnection.toFixed(1)} KiB/connection  commands: CPU ${figures.cpuMicrosPerCommand.toFixed(2)} µs, ${Math.round(figures.commandsPerSec)}/s`,
    );
  }
  const { hlsaudio, [other]: base } = summary;
  console.log(
    `  hlsaudio / ${other}: rate ${(hlsaudio.broadcastsPerSec / base.broadcastsPerSec).toFixed(2)}, server CPU ${(hlsaudio.cpuMicrosPerDelivery / base.cpuMicrosPerDelivery).toFixed(2)}, p50 ${(hlsaudio.p50Ms / base.p50Ms).toFixed(2)}, p99 ${(hlsaudio.p99Ms / base.p99Ms).toFixed(2)}, memory ${(hlsaudio.kibPerConnection / base.kibPerConnection).toFixed(2)}, CPU per command ${(hlsaudio.cpuMicrosPerCommand / base.cpuMicrosPerCommand).toFixed(2)}, commands/s ${(hlsaudio.commandsPerSec / base.commandsPerSec).toFixed(2)}`,
  );
}

if (values.role === 'server') await serverRole(values.kind, values.dist);
else if (values.role === 'clients') await clientRole();
else await main();
