#!/usr/bin/env node
/**
 * Scale-out figures of issue 11, each a ratio against a baseline run in the same script:
 *
 *   delivery  2 nodes + Redis against 1 node, `--connections` WebSocket clients split between the
 *             nodes: broadcast fan-out rate and p99 latency. Runs bench/redis-events.js (the same
 *             measure, one place) and prints its medians (targets: p99 under 100 ms, rate at least
 *             0.8x the single node).
 *   ranges    `serve --workers 2 --redis` against nginx (`worker_processes auto`) serving the same
 *             packaged track, the same byte-range segment requests from wrk (bench/lib/ranges.js, as
 *             bench/serve.js), alternating rounds; the ratio is the median of the rounds' ratios
 *             (target: at least 1.0). One `serve` process is shown for reference.
 *   idle      3 `serve` nodes (the real app, connection limits lifted, on one Redis) each holding
 *             `--idle-per-node` idle WebSocket connections (subscribed, then silent), opened by
 *             several client processes (each side of a loopback connection takes a descriptor, and
 *             a process has about 20,000): RSS after a GC, before and after, gives the memory per
 *             connection (target: at most 10 KiB) and the projection for 50,000 per node.
 *
 *   npm run bench:cluster [-- --only delivery,ranges,idle --connections 10000 --rounds 3
 *                              --duration 8 --wrk-connections 64 --idle-per-node 18000 --baseline DIR]
 *
 * `--baseline DIR`: ranges also runs `serve --workers 2` of another build (a checkout of main with its
 * dist/ built) in the same rounds. Each server's CPU time per request (its workers included) is shown.
 *
 * Needs redis-server, nginx and wrk. Prints the load average, since the machine may be shared.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { child as spawnChild } from './lib/child.js';
import { checkTools, packagedTrack, runWrk, segmentRequests, startHlsaudio, startStaticNginx, stop, wrkScript } from './lib/ranges.js';
import { startRedisServer } from './lib/redis-server.js';
import { median } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    only: { type: 'string', default: 'delivery,ranges,idle' },
    connections: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    burst: { type: 'string', default: '50' },
    paced: { type: 'string', default: '30' },
    interval: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '180' },
    duration: { type: 'string', default: '8' },
    'wrk-connections': { type: 'string', default: '64' },
    'idle-per-node': { type: 'string', default: '18000' },
    'idle-nodes': { type: 'string', default: '3' },
    'client-max': { type: 'string', default: '15000' },
    redis: { type: 'string' },
    baseline: { type: 'string' },
    out: { type: 'string' },
  },
});

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const MIB = 2 ** 20;

// delivery: bench/redis-events.js, whose medians are this part's figures.

async function delivery() {
  const args = ['--connections', values.connections, '--rounds', values.rounds, '--burst', values.burst, '--paced', values.paced, '--interval', values.interval];
  console.log(`\n[delivery] node bench/redis-events.js ${args.join(' ')}   (load average ${load()})`);
  const proc = spawn(process.execPath, [join(here, 'redis-events.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    text += chunk;
    process.stdout.write(chunk.replace(/^(?=.)/gm, '  '));
  });
  const code = await new Promise((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/redis-events.js exited with ${code}`);
  const ratio = /two \/ one: rate ([\d.]+), p50 [\d.]+, p99 [\d.]+/.exec(text);
  const p99 = /two nodes .* p99 ([\d.]+) ms\n/.exec(text.slice(text.indexOf('medians')));
  console.log(`  => two nodes: rate ${ratio?.[1]}x the single node (target >= 0.8), p99 ${p99?.[1]} ms (target < 100 ms)   (load average ${load()})`);
}

// ranges: serve --workers 2 against nginx worker_processes auto.

async function ranges() {
  checkTools();
  const { out, track } = packagedTrack(join(here, 'output', 'serve'), Number(values.seconds));
  const requests = segmentRequests(out, track);
  const dir = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-cluster-'));
  const script = wrkScript(requests, dir);
  const wrkOptions = { threads: 2, connections: Number(values['wrk-connections']), durationSec: Number(values.duration) };
  const redis = await startRedisServer();
  // Each connection comes from 127.0.0.1 here: the per-address cap (512) is above wrk's connections.
  const servers = {
    'serve --workers 2': await startHlsaudio(out, ['--workers', '2', '--redis', redis.url, '--data-dir', join(dir, 'data')]),
    'nginx (worker_processes auto)': await startStaticNginx(dir, out, 'auto'),
    'serve (one process)': await startHlsaudio(out, ['--data-dir', join(dir, 'data-one')]),
    ...(values.baseline && {
      'baseline serve --workers 2': await startHlsaudio(out, ['--workers', '2', '--redis', redis.url, '--data-dir', join(dir, 'data-baseline')], { bin: join(values.baseline, 'bin', 'hlsaudio.js') }),
    }),
  };
  const names = Object.keys(servers);
  const results = Object.fromEntries(names.map((name) => [name, []]));
  console.log(`\n[ranges] ${requests.length} byte-range segment requests of a ${values.seconds} s track, wrk -t${wrkOptions.threads} -c${wrkOptions.connections} -d${wrkOptions.durationSec}s, ${availableParallelism()} cores, ${values.rounds} alternating rounds   (load average ${load()})`);
  try {
    for (const name of names) runWrk(servers[name].port, script, { ...wrkOptions, durationSec: 2 }); // warm-up: page cache, JIT, range cache
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) results[name].push(runWrk(servers[name].port, script, { ...wrkOptions, pid: servers[name].child.pid }));
    }
  } finally {
    for (const server of Object.values(servers)) await stop(server.child);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const name of names) {
    const list = results[name];
    const cpu = median(list.map((r) => r.userUsPerRequest + r.systemUsPerRequest));
    console.log(`  ${name.padEnd(30)} ${median(list.map((r) => r.rps)).toFixed(0).padStart(7)} req/s   p99 ${median(list.map((r) => r.p99Ms)).toFixed(2)} ms   CPU ${cpu.toFixed(1)} µs/request   rounds: ${list.map((r) => r.rps.toFixed(0)).join(', ')}`);
  }
  const nginx = results['nginx (worker_processes auto)'];
  for (const name of names.filter((each) => each.startsWith('serve') || each.startsWith('baseline'))) {
    const ratios = results[name].map((round, index) => round.rps / nginx[index].rps);
    console.log(`  => ${name} / nginx: ${median(ratios).toFixed(2)} of its req/s (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})${name.includes('workers') ? '; target >= 1.0' : ''}`);
  }
  if (values.baseline) {
    const ratios = results['serve --workers 2'].map((round, index) => round.rps / results['baseline serve --workers 2'][index].rps);
    console.log(`  => serve --workers 2 / baseline: ${median(ratios).toFixed(2)} of its req/s (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  }
  console.log(`  (load average ${load()})`);
}

// idle: roles of the child processes, then the orchestration.

/** The real serve app, connection limits lifted, on the bench's Redis; reports RSS after a GC. */
async function idleNodeRole() {
  const { startServeApp } = await import('../dist/serve/app.js');
  const quiet = { error() {}, warn() {}, info() {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-idle-'));
  const app = await startServeApp({
    root: values.out,
    dataDir,
    logger: quiet,
    maxConnections: 0,
    maxConnectionsPerAddress: 0,
    // Thousands of upgrades queued on a loaded machine wait longer than the 10 s a slowloris gets.
    headersTimeoutMs: 120_000,
    requestTimeoutMs: 120_000,
    realtime: { wsMaxConnections: 0, wsMaxConnectionsPerAddress: 0, wsMaxConnectionsPerUser: 0 },
    redis: { url: values.redis, logger: quiet },
  });
  const { port } = await app.listen(0, '127.0.0.1');
  const rss = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().rss;
  };
  process.send({ type: 'listening', url: `ws://127.0.0.1:${port}/api/ws` });
  process.on('disconnect', () => process.exit(1)); // the bench is gone
  process.on('message', async (message) => {
    if (message.type === 'measure') process.send({ type: 'measured', rss: rss(), connections: app.realtime.manager.size });
    if (message.type === 'close') {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
      process.send({ type: 'closed' });
      process.disconnect();
    }
  });
}

/** Opens `count` connections to `url`, 100 at a time, each subscribed, then idle. */
async function idleClientsRole() {
  const sockets = [];
  process.on('disconnect', () => process.exit(1)); // the bench is gone
  process.on('message', async (message) => {
    if (message.type === 'connect') {
      for (let i = 0; i < message.count; i += 100) {
        const batch = [];
        for (let j = i; j < Math.min(message.count, i + 100); j++) batch.push(open(message.url, j));
        sockets.push(...(await Promise.all(batch)));
      }
      process.send({ type: 'connected', count: sockets.length });
    }
    if (message.type === 'close') {
      for (const socket of sockets) socket.terminate();
      process.send({ type: 'closed' });
      process.disconnect();
    }
  });
  function open(url, index) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${url}?user_id=idle-${process.pid}-${index}`, { perMessageDeflate: false });
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ command: 'Subscribe', command_id: 's', events: ['ServerMessage'] })));
      socket.once('message', () => resolve(socket));
    });
  }
}

async function idle() {
  const nodeCount = Number(values['idle-nodes']);
  const perNode = Number(values['idle-per-node']);
  const clientMax = Number(values['client-max']);
  const { out } = packagedTrack(join(here, 'output', 'serve'), Number(values.seconds));
  const redis = await startRedisServer();
  const script = fileURLToPath(import.meta.url);
  const nodes = Array.from({ length: nodeCount }, () => spawnChild(script, ['--role', 'idle-node', '--redis', redis.url, '--out', out], ['--expose-gc']));
  const urls = (await Promise.all(nodes.map((node) => node.next('listening')))).map((message) => message.url);
  const measure = () => Promise.all(nodes.map((node) => (node.send({ type: 'measure' }), node.next('measured'))));
  const before = await measure();
  // Each client process holds at most clientMax connections, all to one node.
  const clients = [];
  const connecting = [];
  const startedAt = performance.now();
  urls.forEach((url) => {
    for (let left = perNode; left > 0; left -= clientMax) {
      const client = spawnChild(script, ['--role', 'idle-clients']);
      clients.push(client);
      client.send({ type: 'connect', url, count: Math.min(clientMax, left) });
      connecting.push(client.next('connected'));
    }
  });
  const opened = (
    await Promise.all(connecting).catch(async (error) => {
      await Promise.all([...nodes, ...clients].map((proc) => proc.stop()));
      await redis.stop();
      throw error;
    })
  ).reduce((sum, message) => sum + message.count, 0);
  const openSec = (performance.now() - startedAt) / 1000;
  const after = await measure();
  console.log(`\n[idle] ${nodeCount} serve nodes on one Redis, ${perNode} idle WebSocket connections each (${opened} in all, opened in ${openSec.toFixed(1)} s by ${clients.length} client processes)   (load average ${load()})`);
  const perConnection = [];
  after.forEach((figures, index) => {
    const delta = figures.rss - before[index].rss;
    perConnection.push(delta / figures.connections);
    console.log(`  node ${index + 1}: ${figures.connections} connections, RSS ${(before[index].rss / MIB).toFixed(0)} MiB -> ${(figures.rss / MIB).toFixed(0)} MiB, ${(delta / figures.connections / 1024).toFixed(2)} KiB per connection`);
  });
  const kib = median(perConnection) / 1024;
  const baseMib = median(before.map((figures) => figures.rss)) / MIB;
  console.log(`  => ${kib.toFixed(2)} KiB per connection (median of nodes; target <= 10 KiB); 50,000 per node: about ${(baseMib + (50_000 * kib) / 1024).toFixed(0)} MiB of RSS and 50,000 descriptors (ulimit -n above that)`);
  for (const node of nodes) node.send({ type: 'close' });
  for (const client of clients) client.send({ type: 'close' });
  await Promise.all([...nodes, ...clients].map((proc) => proc.next('closed')));
  await Promise.all([...nodes, ...clients].map((proc) => proc.exited));
  await redis.stop();
  console.log(`  (load average ${load()})`);
}

async function main() {
  const parts = new Set(values.only.split(','));
  mkdirSync(join(here, 'output'), { recursive: true });
  console.log(`bench:cluster: ${[...parts].join(', ')} on ${availableParallelism()} cores   (load average ${load()} at the start)`);
  if (parts.has('delivery')) await delivery();
  if (parts.has('ranges')) await ranges();
  if (parts.has('idle')) await idle();
}

if (values.role === 'idle-node') await idleNodeRole();
else if (values.role === 'idle-clients') await idleClientsRole();
else await main();
