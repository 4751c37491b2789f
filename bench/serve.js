#!/usr/bin/env node
/**
 * `hlsaudio serve` against Debian's nginx serving the same folder, with the same client (wrk) and
 * the same requests: byte-range segment requests picked round-robin from every variant playlist of
 * a packaged 180 s track, as players make them. Each round runs every server back to back, in
 * alternating order; prints requests/s and p99 latency (medians over the rounds) and the ratio to
 * nginx as the median of the rounds' ratios, which other load on the machine moves least (target:
 * at least 0.8).
 * Both get one process (nginx `worker_processes 1`; Node is one thread) on a 2-core machine that
 * wrk shares.
 *
 *   npm run bench:serve [-- --seconds 180 --rounds 5 --duration 6 --connections 16]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMusic } from '../fixtures/make-fixtures.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '16' },
  },
});
const root = dirname(fileURLToPath(import.meta.url));
const work = join(root, 'output', 'serve');
const out = join(work, 'out');
const nginxBin = process.env.NGINX_PATH || '/usr/sbin/nginx';
for (const [tool, probe] of [['wrk', ['wrk', ['--version']]], ['nginx', [nginxBin, ['-v']]]]) {
  const result = spawnSync(probe[0], probe[1], { stdio: 'ignore' });
  if (result.error) throw new Error(`bench/serve needs ${tool} (Debian: apt-get install -y ${tool}); ${result.error.message}`);
}

/** The track to serve: packaged once and kept in bench/output/serve. */
function packageTrack() {
  mkdirSync(work, { recursive: true });
  const source = makeMusic(Number(values.seconds), join(work, `music-${values.seconds}s.wav`));
  const result = spawnSync(process.execPath, [join(root, '..', 'bin', 'hlsaudio.js'), 'package', source, '-o', out, '--id', 'bench', '--quiet'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('hlsaudio package failed');
  return JSON.parse(readFileSync(join(out, 'bench', 'track.json'), 'utf8'));
}

/** Every segment of every variant as [path, Range header]. */
function segmentRequests(track) {
  const requests = [];
  for (const variant of track.variants) {
    const text = readFileSync(join(out, track.id, variant.playlist), 'utf8');
    let next = 0;
    for (const match of text.matchAll(/#EXT-X-BYTERANGE:(\d+)(?:@(\d+))?\n(.+)/g)) {
      const length = Number(match[1]);
      const offset = match[2] === undefined ? next : Number(match[2]);
      next = offset + length;
      requests.push([`/hls/${track.id}/${dirname(variant.playlist)}/${match[3]}`, `bytes=${offset}-${offset + length - 1}`]);
    }
  }
  return requests;
}

/** A wrk script that cycles through the requests and prints its figures as JSON. */
function wrkScript(requests, dir) {
  const table = requests.map(([path, range]) => `{${JSON.stringify(path)}, ${JSON.stringify(range)}}`).join(',\n  ');
  const file = join(dir, 'ranges.lua');
  writeFileSync(
    file,
    `local requests = {\n  ${table}\n}
local counter = 0
request = function()
  counter = counter + 1
  local r = requests[(counter % #requests) + 1]
  return wrk.format("GET", r[1], { ["Range"] = r[2] })
end
done = function(summary, latency, _)
  local non2xx = summary.errors.status
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"p99_us":%d,"p50_us":%d,"errors":%d,"bytes":%d}\\n',
    summary.requests, summary.duration, latency:percentile(99), latency:percentile(50),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + non2xx, summary.bytes))
end
`,
  );
  return file;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `hlsaudio serve --port 0` and resolves with its port, read from the startup line. */
function startHlsaudio(extraArgs = []) {
  const child = spawn(process.execPath, [join(root, '..', 'bin', 'hlsaudio.js'), 'serve', out, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      text += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`hlsaudio serve exited (${code}) before listening`)));
  });
}

/** Starts nginx in the foreground with a config of our own, serving `out` under /hls/ as the routes do. */
async function startNginx(dir) {
  const port = await freePort();
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    `${process.getuid?.() === 0 ? 'user root root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  # tcp_nopush (TCP_CORK) is off: measured here, with it on nginx answers these ranges in 25 ms each
  # (617 req/s instead of 14,500), which would flatter hlsaudio.
  tcp_nopush off;
  keepalive_timeout 65s;
  keepalive_requests 100000;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  types { application/vnd.apple.mpegurl m3u8; audio/aac aac; audio/mpeg mp3; }
  server {
    listen 127.0.0.1:${port};
    location /hls/ { alias ${out}/; }
  }
}
`,
  );
  const child = spawn(nginxBin, ['-c', config, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let tries = 0; tries < 100; tries++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}); see ${join(dir, 'error.log')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/hls/bench/track.json`).then((r) => r.ok, () => false);
    if (ok) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('nginx did not start');
}

function runWrk(port, script) {
  const result = spawnSync('wrk', ['-t1', `-c${values.connections}`, `-d${values.duration}s`, '--latency', '-s', script, `http://127.0.0.1:${port}`], { encoding: 'utf8' });
  const line = /WRK_JSON (.+)/.exec(result.stdout);
  if (!line) throw new Error(`wrk failed: ${result.stdout}${result.stderr}`);
  const figures = JSON.parse(line[1]);
  if (figures.errors > 0) throw new Error(`wrk saw ${figures.errors} errors or non-2xx answers against port ${port}`);
  return { rps: figures.requests / (figures.duration_us / 1e6), p99Ms: figures.p99_us / 1000, p50Ms: figures.p50_us / 1000, mbps: (figures.bytes * 8) / figures.duration_us };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const track = existsSync(join(out, 'bench', 'track.json')) ? JSON.parse(readFileSync(join(out, 'bench', 'track.json'), 'utf8')) : packageTrack();
const requests = segmentRequests(track);
const dir = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-serve-'));
const script = wrkScript(requests, dir);
const servers = {
  hlsaudio: await startHlsaudio(),
  'hlsaudio --media-cache 0': await startHlsaudio(['--media-cache', '0']),
  'nginx (1 worker)': await startNginx(dir),
};
const names = Object.keys(servers);
const results = Object.fromEntries(names.map((name) => [name, []]));
try {
  for (const name of names) runWrk(servers[name].port, script); // warm-up: page cache, JIT, range cache
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(runWrk(servers[name].port, script));
  }
} finally {
  for (const server of Object.values(servers)) await stop(server.child);
  rmSync(dir, { recursive: true, force: true });
}

const summary = (name) => ({ rps: median(results[name].map((r) => r.rps)), p99: median(results[name].map((r) => r.p99Ms)), p50: median(results[name].map((r) => r.p50Ms)) });
const sizes = requests.map(([, range]) => range.split(/[=-]/).map(Number)).map(([, a, b]) => b - a + 1);
console.log(
  `bench/serve: ${requests.length} byte-range segment requests (${Math.round(median(sizes) / 1024)} KiB median) of a ${values.seconds} s track, wrk -t1 -c${values.connections} -d${values.duration}s, ${availableParallelism()} cores, median of ${values.rounds} alternating rounds`,
);
for (const name of names) {
  const figures = summary(name);
  console.log(`  ${name.padEnd(26)} ${figures.rps.toFixed(0).padStart(7)} req/s   p50 ${figures.p50.toFixed(2)} ms   p99 ${figures.p99.toFixed(2)} ms`);
  console.log(`    rounds: ${results[name].map((r) => `${r.rps.toFixed(0)} req/s p99 ${r.p99Ms.toFixed(2)} ms`).join('; ')}`);
}
const nginx = results['nginx (1 worker)'];
for (const name of names.slice(0, 2)) {
  const ratios = results[name].map((round, index) => round.rps / nginx[index].rps);
  const p99s = results[name].map((round, index) => round.p99Ms / nginx[index].p99Ms);
  console.log(
    `  ${name} / nginx: ${median(ratios).toFixed(2)} of its req/s (median of rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= 0.80), p99 ${median(p99s).toFixed(2)}x`,
  );
}
