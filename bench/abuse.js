#!/usr/bin/env node
/**
 * What hostile clients cost everyone else (issue 9). One `serve` process (startServeApp from dist/,
 * as `hlsaudio serve` runs it) on a packaged 30 s track, and a well-behaved client in this process
 * that measures, for `--seconds` per phase:
 *   healthz  GET /healthz on a kept-alive connection, 20 a second: latency p50, p99
 *   ping     a WebSocket Ping command and its CommandResponse, 10 a second: round trip p50, p99
 * in three phases of the same run:
 *   baseline   nobody else
 *   flood      4 WebSocket connections sending Ping as fast as their sockets take it, each
 *              reconnecting at once when the server closes it (1008)
 *   half-open  5,000 TCP connections from 20 loopback addresses (250 each, under the per-address
 *              cap): half send a request line and one header byte every 500 ms (slowloris), half
 *              send nothing (idle)
 * and the descriptors the server process holds (/proc/<pid>/fd): before, at the peak of the half-open
 * phase, and once the attackers have left, with how long the count took to come back.
 * Attackers run in child processes. The timeouts are shortened so that the run ends soon (headers
 * 2 s, a whole request 4 s, checked every 250 ms, WebSocket close handshake 1 s); everything else is
 * the default. Target: /healthz and Ping p99 under 50 ms under attack.
 *
 *   npm run bench:abuse [-- --seconds 8 --half-open 5000 --flooders 4 --headers-timeout 2000 --check-interval 250]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { makeMusic } from '../fixtures/make-fixtures.js';
import { percentile } from './lib/stats.js';
import { child as spawnChild } from './lib/child.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    root: { type: 'string' },
    url: { type: 'string' },
    port: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    'half-open': { type: 'string', default: '5000' },
    flooders: { type: 'string', default: '4' },
    'headers-timeout': { type: 'string', default: '2000' },
    'check-interval': { type: 'string', default: '250' },
  },
});

function child(args) {
  return spawnChild(fileURLToPath(import.meta.url), args);
}

// The server: startServeApp with short timeouts.

/** The servers' own log lines would mix with the figures; the bench reports what it measures. */
const quiet = { error() {}, warn() {}, info() {} };

async function serverRole() {
  const { startServeApp } = await import('../dist/serve/app.js');
  const data = join(here, 'output', `abuse-data-${process.pid}`);
  rmSync(data, { recursive: true, force: true });
  const app = await startServeApp({
    root: values.root,
    dataDir: data,
    dbFile: join(data, 'analytics.db'),
    headersTimeoutMs: Number(values['headers-timeout']),
    requestTimeoutMs: 2 * Number(values['headers-timeout']),
    connectionsCheckIntervalMs: Number(values['check-interval']),
    realtime: { wsCloseTimeoutMs: 1000 },
    logger: quiet,
  });
  const { port } = await app.listen(0, '127.0.0.1');
  process.send({ type: 'listening', port });
  process.on('message', async (message) => {
    if (message.type !== 'close') return;
    await app.close();
    rmSync(data, { recursive: true, force: true });
    process.send({ type: 'closed' });
    process.disconnect();
  });
}

// Attackers.

/** `--flooders` connections sending Ping as fast as the socket drains; a closed one comes back at once. */
function floodRole() {
  let sent = 0;
  let closes = 0;
  const flood = () => {
    const socket = new WebSocket(values.url, { perMessageDeflate: false });
    const frame = JSON.stringify({ command: 'Ping', command_id: 'flood' });
    const pump = () => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // 200 frames a turn while the socket takes them; then yield, so that closes and reports are seen.
      for (let i = 0; i < 200 && socket.bufferedAmount < 256 * 1024; i++) {
        socket.send(frame);
        sent++;
      }
      setImmediate(pump);
    };
    socket.on('open', pump);
    socket.on('message', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      closes++;
      setTimeout(flood, 10);
    });
  };
  for (let i = 0; i < Number(values.flooders); i++) flood();
  process.send({ type: 'started' });
  process.on('message', (message) => {
    if (message.type === 'report') process.send({ type: 'report', sent, closes });
  });
}

/** `--half-open` sockets from 20 loopback addresses: half trickle a header byte every 500 ms, half stay silent. */
async function halfOpenRole() {
  const total = Number(values['half-open']);
  const sockets = [];
  let closedByServer = 0;
  for (let i = 0; i < total; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(total, i + 250); j++) {
      batch.push(
        new Promise((resolve) => {
          const socket = tcpConnect({ port: Number(values.port), host: '127.0.0.1', localAddress: `127.0.1.${10 + (j % 20)}`, allowHalfOpen: true });
          socket.on('error', () => {});
          socket.on('data', () => {});
          socket.once('end', () => closedByServer++);
          socket.once('connect', () => {
            if (j % 2 === 0) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
            resolve(socket);
          });
          socket.once('close', () => resolve(socket));
        }),
      );
    }
    sockets.push(...(await Promise.all(batch)));
  }
  const trickle = setInterval(() => {
    for (let j = 0; j < sockets.length; j += 2) if (!sockets[j].destroyed && sockets[j].writable) sockets[j].write('a');
  }, 500);
  process.send({ type: 'started', open: sockets.filter((socket) => !socket.destroyed).length });
  process.on('message', (message) => {
    if (message.type === 'report') process.send({ type: 'report', closedByServer });
    if (message.type === 'leave') {
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
      process.send({ type: 'left' });
    }
  });
}

// The well-behaved client and the orchestration.

const fds = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** /healthz every 50 ms and Ping every 100 ms for `seconds`; a request that fails counts as its time to fail. */
async function probe(port, ws, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const healthz = [];
  const pings = [];
  let failures = 0;
  let lostPings = 0;
  const until = performance.now() + seconds * 1000;
  const httpLoop = (async () => {
    while (performance.now() < until) {
      const started = performance.now();
      await new Promise((resolve) => {
        const req = get({ host: '127.0.0.1', port, path: '/healthz', agent, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          failures++;
          resolve();
        });
      });
      healthz.push(performance.now() - started);
      await sleep(Math.max(0, 50 - (performance.now() - started)));
    }
  })();
  const wsLoop = (async () => {
    let next = 0;
    const waiting = new Map();
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString());
      const resolve = waiting.get(event.command_id);
      if (resolve) resolve();
    });
    while (performance.now() < until) {
      const id = `p${next++}`;
      const started = performance.now();
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          lostPings++;
          resolve();
        }, 5000);
        waiting.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
        ws.send(JSON.stringify({ command: 'Ping', command_id: id }));
      });
      waiting.delete(id);
      pings.push(performance.now() - started);
      await sleep(Math.max(0, 100 - (performance.now() - started)));
    }
    ws.removeAllListeners('message');
  })();
  await Promise.all([httpLoop, wsLoop]);
  agent.destroy();
  const figures = (list) => ({ p50: percentile(list, 50), p99: percentile(list, 99), n: list.length });
  return { healthz: figures(healthz), ping: figures(pings), failures, lostPings };
}

async function main() {
  const work = join(here, 'output', 'abuse');
  const out = join(work, 'out');
  mkdirSync(work, { recursive: true });
  const source = makeMusic(30, join(work, 'music-30s.wav'));
  const packaged = spawn(process.execPath, [join(here, '..', 'bin', 'hlsaudio.js'), 'package', source, '-o', out, '--id', 'bench', '--quiet'], { stdio: 'inherit' });
  if ((await new Promise((resolve) => packaged.on('exit', resolve))) !== 0) throw new Error('hlsaudio package failed');

  const say = (line) => process.stderr.write(`bench/abuse: ${line}\n`);
  say('starting the server');
  const server = child(['--role', 'server', '--root', out, '--headers-timeout', values['headers-timeout'], '--check-interval', values['check-interval']]);
  const { port } = await server.next('listening');
  say(`listening on ${port}`);
  const url = `ws://127.0.0.1:${port}/api/ws`;
  const ws = new WebSocket(`${url}?user_id=polite`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const seconds = Number(values.seconds);
  await probe(port, ws, 1); // warm-up
  const rows = [];

  say('baseline');
  const fdBefore = fds(server.pid);
  rows.push({ phase: 'baseline', ...(await probe(port, ws, seconds)), fds: fdBefore });

  say('flood');
  const flood = child(['--role', 'flood', '--url', url, '--flooders', values.flooders]);
  await flood.next('started');
  await sleep(500);
  const flooded = await probe(port, ws, seconds);
  flood.send({ type: 'report' });
  const floodReport = await flood.next('report');
  await flood.stop();
  rows.push({ phase: `flood (${values.flooders} connections)`, ...flooded, fds: fds(server.pid), note: `${floodReport.sent} frames sent, ${floodReport.closes} closes (1008)` });

  await sleep(1500);
  say('half-open');
  const halfOpen = child(['--role', 'half-open', '--port', String(port), '--half-open', values['half-open']]);
  const { open } = await halfOpen.next('started');
  let peak = fds(server.pid);
  const watch = setInterval(() => (peak = Math.max(peak, fds(server.pid))), 50);
  const held = await probe(port, ws, seconds);
  halfOpen.send({ type: 'report' });
  const halfReport = await halfOpen.next('report');
  rows.push({ phase: `half-open (${values['half-open']} sockets)`, ...held, fds: peak, note: `${open} opened; ${halfReport.closedByServer} closed by the server within the phase` });
  halfOpen.send({ type: 'leave' });
  await halfOpen.next('left');
  const leftAt = performance.now();
  await halfOpen.stop();
  clearInterval(watch);
  let after = fds(server.pid);
  while (after > fdBefore && performance.now() - leftAt < 10_000) {
    await sleep(100);
    after = fds(server.pid);
  }
  const backMs = Math.round(performance.now() - leftAt);

  ws.close();
  server.send({ type: 'close' });
  await server.next('closed').catch(() => {});
  await server.stop();

  const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : '-');
  console.log(`\nbench/abuse: ${seconds} s per phase; /healthz 20/s and Ping 10/s from one well-behaved client; ms`);
  console.log('| phase | /healthz p50 | /healthz p99 | Ping p50 | Ping p99 | server fds | notes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const failures = `${row.failures ? `; ${row.failures} /healthz failed` : ''}${row.lostPings ? `; ${row.lostPings} Pings unanswered in 5 s` : ''}`;
    console.log(`| ${row.phase} | ${ms(row.healthz.p50)} | ${ms(row.healthz.p99)} | ${ms(row.ping.p50)} | ${ms(row.ping.p99)} | ${row.fds}${row.phase.startsWith('half') ? ' (peak)' : ''} | ${row.note ?? ''}${failures} |`);
  }
  console.log(`server descriptors: ${fdBefore} before, ${peak} at the half-open peak, ${after} ${after <= fdBefore ? `${backMs} ms` : 'still, 10 s'} after the attackers left`);
}

const roles = { main, server: serverRole, flood: floodRole, 'half-open': halfOpenRole };
await roles[values.role]();
