#!/usr/bin/env node
/**
 * `hlsaudio serve` against Debian's nginx serving the same folder, with the same client (wrk) and
 * the same requests: byte-range segment requests picked round-robin from every variant playlist of
 * a packaged 180 s track, as players make them. Each round runs every server back to back, in
 * alternating order; prints requests/s and p99 latency (medians over the rounds) and the ratio to
 * nginx as the median of the rounds' ratios, which other load on the machine moves least (target:
 * at least 0.8).
 * Both get one process (nginx `worker_processes 1`; Node is one thread) on a 2-core machine that
 * wrk shares. Each server's CPU time per request (user and system, its children included) is printed
 * too: on a shared machine it moves far less than requests/s.
 * `--baseline DIR`: also serve with another build (a checkout of main with its dist/ built), in the
 * same rounds, to compare a change with the code before it.
 *
 *   npm run bench:serve [-- --seconds 180 --rounds 5 --duration 6 --connections 16 --baseline DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkTools, packagedTrack, runWrk, segmentRequests, startHlsaudio, startStaticNginx, stop, wrkScript } from './lib/ranges.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '16' },
    baseline: { type: 'string' },
  },
});
const root = dirname(fileURLToPath(import.meta.url));
checkTools();

const { out, track } = packagedTrack(join(root, 'output', 'serve'), Number(values.seconds));
const requests = segmentRequests(out, track);
const wrkOptions = { connections: Number(values.connections), durationSec: Number(values.duration) };
const dir = mkdtempSync(join(tmpdir(), 'hlsaudio-bench-serve-'));
const script = wrkScript(requests, dir);
const servers = {
  hlsaudio: await startHlsaudio(out),
  'hlsaudio --media-cache 0': await startHlsaudio(out, ['--media-cache', '0']),
  'nginx (1 worker)': await startStaticNginx(dir, out),
  ...(values.baseline ? { 'baseline hlsaudio': await startHlsaudio(out, [], { bin: join(values.baseline, 'bin', 'hlsaudio.js') }) } : {}),
};
const names = Object.keys(servers);
const results = Object.fromEntries(names.map((name) => [name, []]));
try {
  for (const name of names) runWrk(servers[name].port, script, wrkOptions); // warm-up: page cache, JIT, range cache
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name].push(runWrk(servers[name].port, script, { ...wrkOptions, pid: servers[name].child.pid }));
  }
} finally {
  for (const server of Object.values(servers)) await stop(server.child);
  rmSync(dir, { recursive: true, force: true });
}

const summary = (name) => ({
  rps: median(results[name].map((r) => r.rps)),
  p99: median(results[name].map((r) => r.p99Ms)),
  p50: median(results[name].map((r) => r.p50Ms)),
  cpu: median(results[name].map((r) => r.userUsPerRequest + r.systemUsPerRequest)),
  user: median(results[name].map((r) => r.userUsPerRequest)),
});
const sizes = requests.map(([, range]) => range.split(/[=-]/).map(Number)).map(([, a, b]) => b - a + 1);
console.log(
  `bench/serve: ${requests.length} byte-range segment requests (${Math.round(median(sizes) / 1024)} KiB median) of a ${values.seconds} s track, wrk -t1 -c${values.connections} -d${values.duration}s, ${availableParallelism()} cores, median of ${values.rounds} alternating rounds`,
);
for (const name of names) {
  const figures = summary(name);
  console.log(`  ${name.padEnd(26)} ${figures.rps.toFixed(0).padStart(7)} req/s   p50 ${figures.p50.toFixed(2)} ms   p99 ${figures.p99.toFixed(2)} ms   CPU ${figures.cpu.toFixed(1)} µs/request (user ${figures.user.toFixed(1)})`);
  console.log(`    rounds: ${results[name].map((r) => `${r.rps.toFixed(0)} req/s p99 ${r.p99Ms.toFixed(2)} ms CPU ${(r.userUsPerRequest + r.systemUsPerRequest).toFixed(0)} µs`).join('; ')}`);
}
const nginx = results['nginx (1 worker)'];
for (const name of names.filter((each) => each !== 'nginx (1 worker)')) {
  const ratios = results[name].map((round, index) => round.rps / nginx[index].rps);
  const p99s = results[name].map((round, index) => round.p99Ms / nginx[index].p99Ms);
  console.log(
    `  ${name} / nginx: ${median(ratios).toFixed(2)} of its req/s (median of rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= 0.80), p99 ${median(p99s).toFixed(2)}x, CPU per request ${(summary(name).cpu / summary('nginx (1 worker)').cpu).toFixed(2)}x`,
  );
}
if (values.baseline) {
  const ratios = results.hlsaudio.map((round, index) => round.rps / results['baseline hlsaudio'][index].rps);
  console.log(`  hlsaudio / baseline: ${median(ratios).toFixed(2)} of its req/s (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}), CPU per request ${(summary('hlsaudio').cpu / summary('baseline hlsaudio').cpu).toFixed(2)}x, user CPU per request ${(summary('hlsaudio').user / summary('baseline hlsaudio').user).toFixed(2)}x`);
}
console.log(`  (load average ${loadavg().map((value) => value.toFixed(2)).join(' ')})`);
