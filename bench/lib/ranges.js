/**
 * What bench/serve.js and bench/cluster.js share to serve segment byte ranges under wrk: a packaged
 * track, its segments as range requests, the wrk script and run, `hlsaudio serve` and nginx serving
 * the same folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMusic } from '../../fixtures/make-fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/hlsaudio.js', import.meta.url));
export const nginxBin = process.env.NGINX_PATH || '/usr/sbin/nginx';

/** Throws a clear error when wrk or nginx is missing. */
export function checkTools() {
  for (const [tool, probe] of [['wrk', ['wrk', ['--version']]], ['nginx', [nginxBin, ['-v']]]]) {
    const result = spawnSync(probe[0], probe[1], { stdio: 'ignore' });
    if (result.error) throw new Error(`this bench needs ${tool} (Debian: apt-get install -y ${tool}); ${result.error.message}`);
  }
}

/** The track `bench` of `seconds` s, packaged into `work`/out once and kept there. */
export function packagedTrack(work, seconds) {
  const out = join(work, 'out');
  const trackFile = join(out, 'bench', 'track.json');
  if (!existsSync(trackFile)) {
    mkdirSync(work, { recursive: true });
    const source = makeMusic(seconds, join(work, `music-${seconds}s.wav`));
    const result = spawnSync(process.execPath, [BIN, 'package', source, '-o', out, '--id', 'bench', '--quiet'], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error('hlsaudio package failed');
  }
  return { out, track: JSON.parse(readFileSync(trackFile, 'utf8')) };
}

/** Every segment of every variant of `track` in `out` as [path, Range header]. */
export function segmentRequests(out, track) {
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
export function wrkScript(requests, dir) {
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

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `hlsaudio serve <out> --port 0` and resolves with its port, read from the startup line.
 * `bin`: another build's bin/hlsaudio.js (bench/serve.js `--baseline`), this checkout's by default.
 */
export function startHlsaudio(out, extraArgs = [], { bin = BIN } = {}) {
  const child = spawn(process.execPath, [bin, 'serve', out, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/**
 * Starts nginx in the foreground with a config of our own in `dir`, serving `out` under /hls/ as the
 * routes do, with `workers` worker processes (a number or `auto`, one per core).
 */
export async function startStaticNginx(dir, out, workers = 1) {
  const port = await freePort();
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    `${process.getuid?.() === 0 ? 'user root root;\n' : ''}worker_processes ${workers};
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

/**
 * One wrk run of `script` against the port: requests/s, p50 and p99 in ms, Mbit/s; throws on any error
 * or non-2xx. With `pid`, also the CPU time that process and its children (nginx's workers, serve's
 * cluster workers) spent per request, in µs: user, and system (mostly the kernel's copy into the
 * socket); it moves less than requests/s with what else the shared machine runs.
 */
export function runWrk(port, script, { threads = 1, connections, durationSec, pid }) {
  const cpuBefore = pid === undefined ? undefined : treeCpuSeconds(pid);
  const result = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${durationSec}s`, '--latency', '-s', script, `http://127.0.0.1:${port}`], { encoding: 'utf8' });
  const line = /WRK_JSON (.+)/.exec(result.stdout);
  if (!line) throw new Error(`wrk failed: ${result.stdout}${result.stderr}`);
  const figures = JSON.parse(line[1]);
  if (figures.errors > 0) throw new Error(`wrk saw ${figures.errors} errors or non-2xx answers against port ${port}`);
  const cpuAfter = pid === undefined ? undefined : treeCpuSeconds(pid);
  const perRequestUs = (seconds) => (seconds * 1e6) / figures.requests;
  return {
    rps: figures.requests / (figures.duration_us / 1e6),
    p99Ms: figures.p99_us / 1000,
    p50Ms: figures.p50_us / 1000,
    mbps: (figures.bytes * 8) / figures.duration_us,
    ...(cpuBefore && { userUsPerRequest: perRequestUs(cpuAfter.user - cpuBefore.user), systemUsPerRequest: perRequestUs(cpuAfter.system - cpuBefore.system) }),
  };
}

/** User and system CPU seconds of `pid` and its descendants so far, from /proc (Linux; clock ticks of 10 ms). */
function treeCpuSeconds(pid) {
  const stats = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which is in parentheses and may hold spaces: state ppid … utime stime.
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid: Number(entry), ppid: Number(fields[1]), user: Number(fields[11]), system: Number(fields[12]) });
    } catch {
      // exited in between
    }
  }
  const tree = new Set([pid]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const stat of stats) if (!tree.has(stat.pid) && tree.has(stat.ppid)) grown = tree.add(stat.pid) !== undefined;
  }
  const mine = stats.filter((stat) => tree.has(stat.pid));
  return { user: mine.reduce((sum, stat) => sum + stat.user, 0) / 100, system: mine.reduce((sum, stat) => sum + stat.system, 0) / 100 };
}

export async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
