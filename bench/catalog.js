#!/usr/bin/env node
/**
 * A catalog of 8 music-like tracks of different lengths: `hlsaudio package` with --concurrency 1
 * against the default (one encoder per core), then a rerun of the unchanged catalog, and the peak
 * memory of the hlsaudio process for 1 track against 8 (memory must not grow with the catalog).
 * Each timed run is repeated and the median taken; ratios are printed.
 *
 *   npm run bench:catalog [-- --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMusic } from '../fixtures/make-fixtures.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const root = dirname(fileURLToPath(import.meta.url));
const work = join(root, 'output', 'catalog');
const music = join(work, 'music');
mkdirSync(music, { recursive: true });
const lengths = [60, 52, 45, 38, 30, 24, 18, 12];
for (const [index, seconds] of lengths.entries()) makeMusic(seconds, join(music, `track-${index + 1}.wav`));
const totalAudio = lengths.reduce((a, b) => a + b, 0);

function packageRun(inputs, out, flags) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(root, '..', 'bin', 'hlsaudio.js'), 'package', ...inputs, '-o', out, '--json', ...flags], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`hlsaudio package failed: ${result.stderr}`);
  const summary = JSON.parse(result.stdout);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, summary };
}

const out = join(work, 'out');
const times = { serial: [], parallel: [], rerun: [] };
let peak8 = 0;
for (let run = 0; run < runs; run++) {
  rmSync(out, { recursive: true, force: true });
  times.serial.push(packageRun([music], out, ['--concurrency', '1']).seconds);
  rmSync(out, { recursive: true, force: true });
  const parallel = packageRun([music], out, []);
  times.parallel.push(parallel.seconds);
  peak8 = Math.max(peak8, parallel.summary.peak_rss_mb);
  const rerun = packageRun([music], out, []);
  if (rerun.summary.skipped !== lengths.length) throw new Error('the rerun rebuilt tracks');
  times.rerun.push(rerun.seconds);
}
const single = join(work, 'single');
rmSync(single, { recursive: true, force: true });
const peak1 = packageRun([join(music, 'track-1.wav')], single, []).summary.peak_rss_mb;

const [serial, parallel, rerun] = [median(times.serial), median(times.parallel), median(times.rerun)];
const fmt = (list) => list.map((t) => t.toFixed(2)).join(', ');
console.log(`bench/catalog: 8 tracks, ${totalAudio} s of music-like audio, 4 profiles, ${availableParallelism()} cores, median of ${runs}`);
console.log(`  --concurrency 1        ${serial.toFixed(2)} s   (runs: ${fmt(times.serial)})`);
console.log(`  default concurrency    ${parallel.toFixed(2)} s   (runs: ${fmt(times.parallel)})   ratio to --concurrency 1: ${(parallel / serial).toFixed(2)}`);
console.log(`  rerun, unchanged       ${rerun.toFixed(2)} s   (runs: ${fmt(times.rerun)})   ratio to first run: ${(rerun / parallel).toFixed(3)}`);
console.log(`  peak RSS of hlsaudio   1 track ${peak1} MB, 8 tracks ${peak8} MB   ratio ${(peak8 / peak1).toFixed(2)}`);
