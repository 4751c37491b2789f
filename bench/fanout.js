#!/usr/bin/env node
/**
 * The broadcast's sending path, old against new, on the same sockets in the same run.
 *
 * One server process holds `--connections` ws server sockets (a client process opens them and only
 * counts what arrives); each round sends `--events` broadcasts `--interval` ms apart to all of them,
 * either the old way (ws's `send` of the serialised event, which frames it again per socket) or the
 * new way (the event framed once, `TextFrame`, and the same bytes written to each socket,
 * `writeFrame`, as RealtimeConnection.send does). Per path it reports the server's CPU time per
 * delivery (user + system, from the first send until the client counted every message), the time
 * one broadcast's loop takes (p50, p99 over the broadcasts: how long the last socket waits for its
 * turn), and the latency the client saw (send time to its 'message' event, p50 and p99 over every
 * delivery). Rounds alternate the two paths; medians are printed, with new / old ratios.
 *
 *   npm run bench:fanout [-- --connections 2000 --rounds 6 --events 30 --interval 20]
 *
 * Processes run with the hard limit of open files; everything listens on 127.0.0.1, port 0.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { TextFrame, writeFrame } from '../dist/realtime/ws-frame.js';
import { child as spawnChild } from './lib/child.js';
import { median, percentile } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    url: { type: 'string' },
    connections: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    events: { type: 'string', default: '30' },
    interval: { type: 'string', default: '20' },
  },
});

const now = () => performance.timeOrigin + performance.now();

/** An event as the benches broadcast it: a ServerMessage of the usual size, carrying its send time. */
const eventText = (seq) => JSON.stringify({ event: 'ServerMessage', message: `latency ${seq} ${now()}`, level: 'Info' });

const PATHS = {
  old(sockets, text) {
    const data = Buffer.from(text);
    for (const socket of sockets) socket.send(data, { binary: false });
  },
  new(sockets, text) {
    const frame = new TextFrame(text);
    for (const socket of sockets) if (!writeFrame(socket, frame)) socket.send(frame.payload, { binary: false });
  },
};

async function clientRole(url, count) {
  let received = 0;
  let expected = Infinity;
  let latencies = [];
  const sockets = [];
  for (let i = 0; i < count; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      batch.push(new Promise((resolve, reject) => {
        const socket = new WebSocket(url, { perMessageDeflate: false });
        socket.once('error', reject);
        socket.once('open', () => resolve(socket));
        socket.on('message', (data) => {
          latencies.push(now() - Number(JSON.parse(data).message.split(' ')[2]));
          if (++received === expected) process.send({ type: 'received', p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
        });
      }));
    }
    sockets.push(...(await Promise.all(batch)));
  }
  process.on('message', (message) => {
    if (message.type === 'expect') {
      received = 0;
      latencies = [];
      expected = message.total;
      process.send({ type: 'expecting' });
    }
    if (message.type === 'close') {
      for (const socket of sockets) socket.terminate();
      process.disconnect();
    }
  });
  process.send({ type: 'connected' });
}

async function main() {
  const options = { connections: Number(values.connections), rounds: Number(values.rounds), events: Number(values.events), interval: Number(values.interval) };
  console.log(`bench:fanout: ${options.connections} connections, ${options.rounds} rounds, ${options.events} broadcasts ${options.interval} ms apart per round and path`);
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const sockets = [];
  wss.on('connection', (socket) => sockets.push(socket));
  await new Promise((resolve) => http.listen(0, '127.0.0.1', 2048, resolve));
  const clients = spawnChild(fileURLToPath(import.meta.url), ['--role', 'clients', '--url', `ws://127.0.0.1:${http.address().port}`, '--connections', String(options.connections)]);
  await clients.next('connected');
  if (sockets.length !== options.connections) throw new Error(`${sockets.length} connections open, expected ${options.connections}`);

  const results = { old: [], new: [] };
  for (let index = 0; index < options.rounds; index++) {
    for (const path of index % 2 === 0 ? ['old', 'new'] : ['new', 'old']) {
      clients.send({ type: 'expect', total: options.events * options.connections });
      await clients.next('expecting');
      const received = clients.next('received');
      const loopsMs = [];
      const cpu = process.cpuUsage();
      for (let seq = 0; seq < options.events; seq++) {
        const started = performance.now();
        PATHS[path](sockets, eventText(seq));
        loopsMs.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, options.interval));
      }
      const latency = await received;
      const used = process.cpuUsage(cpu);
      const deliveries = options.events * options.connections;
      const result = {
        cpuMicros: (used.user + used.system) / deliveries,
        systemMicros: used.system / deliveries,
        loopP50: percentile(loopsMs, 50),
        loopP99: percentile(loopsMs, 99),
        latencyP50: latency.p50,
        latencyP99: latency.p99,
      };
      results[path].push(result);
      console.log(`  round ${index + 1} ${path}  ${describe(result)}`);
    }
  }
  clients.send({ type: 'close' });
  await clients.exited;
  for (const socket of sockets) socket.terminate();
  http.close();

  const summary = Object.fromEntries(
    Object.entries(results).map(([path, list]) => [path, Object.fromEntries(Object.keys(list[0]).map((key) => [key, median(list.map((result) => result[key]))]))]),
  );
  console.log('\nmedians');
  for (const [path, figures] of Object.entries(summary)) {
    console.log(`  ${path}  ${describe(figures)}`);
  }
  const ratio = (key) => (summary.new[key] / summary.old[key]).toFixed(2);
  console.log(`  new / old: server CPU ${ratio('cpuMicros')}, loop p50 ${ratio('loopP50')}, loop p99 ${ratio('loopP99')}, latency p50 ${ratio('latencyP50')}, latency p99 ${ratio('latencyP99')}`);
}

function describe(figures) {
  return (
    `server CPU ${figures.cpuMicros.toFixed(2)} µs/delivery (system ${figures.systemMicros.toFixed(2)})  loop p50 ${figures.loopP50.toFixed(1)} ms  p99 ${figures.loopP99.toFixed(1)} ms` +
    `  latency p50 ${figures.latencyP50.toFixed(1)} ms  p99 ${figures.latencyP99.toFixed(1)} ms`
  );
}

if (values.role === 'clients') await clientRole(values.url, Number(values.connections));
else await main();
