#!/usr/bin/env node
/**
 * `hlsaudio package` against ffmpeg's own one-command ladder (asplit into four encoders, HLS muxer,
 * single_file byte ranges), on the same 180 s of music-like audio, in the same run, alternating,
 * median of each. Prints both times and the ratio (target: at most 0.7 on 2 cores).
 *
 * Also times `--container fmp4`, and, with `--baseline <git ref>`, the package of that commit (built
 * from `git archive` into bench/output, sharing this checkout's node_modules): the cost of what
 * came after it (loudness and peaks analysis, target: at most 5 % more wall time). And the two ways
 * of measuring loudness in the decode pass: ffmpeg's `ebur128` filter in the decoding process, or
 * hlsaudio's analysis reading the decoded PCM (CPU seconds, since the latter runs beside encoders).
 *
 *   npm run bench:package [-- --seconds 180 --runs 3 --baseline b96fbb3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMusic } from '../fixtures/make-fixtures.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '180' }, runs: { type: 'string', default: '3' }, baseline: { type: 'string' } } });
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const root = dirname(fileURLToPath(import.meta.url));
const work = join(root, 'output', 'package');
mkdirSync(work, { recursive: true });
const source = makeMusic(seconds, join(work, `music-${seconds}s.wav`));
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';

/** CPU seconds (user + system, children included) of each run, beside wall time: on a machine others share, CPU time moves far less. */
const cpuTimes = new Map();

function timed(command, args, label = command) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const [user, system] = String(result.stderr).trim().split('\n').pop().split(' ').map(Number);
  cpuTimes.set(label, [...(cpuTimes.get(label) ?? []), user + system]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** ffmpeg's one-process ladder: the four spec profiles, encoded one after another by one process. */
function ffmpegLadder() {
  const out = join(work, 'ffmpeg-ladder');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return timed(ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', source,
    '-filter_complex', '[0:a]asplit=4[a0][a1][a2][a3]',
    '-map', '[a0]', '-c:a:0', 'aac', '-b:a:0', '320k', '-ar:a:0', '44100', '-ac:a:0', '2',
    '-map', '[a1]', '-c:a:1', 'aac', '-b:a:1', '192k', '-ar:a:1', '44100', '-ac:a:1', '2',
    '-map', '[a2]', '-c:a:2', 'libmp3lame', '-b:a:2', '128k', '-ar:a:2', '22050', '-ac:a:2', '2',
    '-map', '[a3]', '-c:a:3', 'aac', '-b:a:3', '96k', '-ar:a:3', '22050', '-ac:a:3', '2',
    '-f', 'hls', '-hls_time', '6', '-hls_playlist_type', 'vod', '-hls_flags', 'single_file',
    '-var_stream_map', 'a:0 a:1 a:2 a:3', '-master_pl_name', 'master.m3u8', join(out, 'v%v', 'playlist.m3u8'),
  ]);
}

function hlsaudio(bin, name, extra = []) {
  const out = join(work, name);
  return timed(process.execPath, [bin, 'package', source, '-o', out, '--force', '--quiet', ...extra], name);
}

/** The commit `ref` built in bench/output/baseline: its bin/hlsaudio.js. */
function buildBaseline(ref) {
  const dir = join(work, 'baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['-C', join(root, '..'), 'archive', ref], { maxBuffer: 256 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(root, '..', 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(root, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')]);
  return join(dir, 'bin', 'hlsaudio.js');
}

/** CPU seconds (user + system) of a child process. */
function cpuOf(command, args) {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [user, system] = String(result.stderr).trim().split('\n').pop().split(' ').map(Number);
  return user + system;
}

/** Loudness in the decode pass: ffmpeg's ebur128 in the decoding process against the TypeScript analysis of the PCM. */
async function loudnessCosts() {
  const pcm = join(work, 'decoded.f32');
  const decode = ['-v', 'error', '-y', '-i', source, '-ac', '2', '-c:a', 'pcm_f32le', '-f', 'f32le', pcm];
  const decodeCpu = cpuOf(ffmpeg, decode);
  const withEbur128 = cpuOf(ffmpeg, ['-v', 'error', '-y', '-i', source, '-filter_complex', '[0:a]asplit=2[a][b];[b]ebur128=peak=true+sample[m];[m]anullsink', '-map', '[a]', '-ac', '2', '-c:a', 'pcm_f32le', '-f', 'f32le', pcm]);
  const { analysePcm } = await import('../dist/analysis/analyse-pcm.js');
  const started = process.cpuUsage();
  await analysePcm(pcm, { sampleRate: 44100, channels: 2, samplesPerPixel: 512, foldToMono: true, chunkBytes: 1 << 20 });
  const used = process.cpuUsage(started);
  return { decodeCpu, ebur128Cpu: withEbur128 - decodeCpu, analysisCpu: (used.user + used.system) / 1e6 };
}

const bin = join(root, '..', 'bin', 'hlsaudio.js');
const baselineBin = values.baseline ? buildBaseline(values.baseline) : undefined;
const times = { ffmpeg: [], hlsaudio: [], fmp4: [], baseline: [] };
for (let run = 0; run < runs; run++) {
  times.ffmpeg.push(ffmpegLadder());
  if (baselineBin) times.baseline.push(hlsaudio(baselineBin, 'baseline-out'));
  times.hlsaudio.push(hlsaudio(bin, 'hlsaudio'));
  times.fmp4.push(hlsaudio(bin, 'hlsaudio-fmp4', ['--container', 'fmp4']));
}
const row = (label, list, key) =>
  console.log(`  ${label.padEnd(34)} ${median(list).toFixed(2)} s   (runs: ${list.map((t) => t.toFixed(2)).join(', ')})${key ? `   CPU ${median(cpuTimes.get(key)).toFixed(2)} s` : ''}`);
const cpuRatio = (a, b) => (median(cpuTimes.get(a)) / median(cpuTimes.get(b))).toFixed(3);
console.log(`bench/package: ${seconds} s of music-like audio, 4 profiles, ${availableParallelism()} cores, median of ${runs}`);
row('ffmpeg one-command ladder', times.ffmpeg, ffmpeg);
if (baselineBin) row(`hlsaudio package at ${values.baseline}`, times.baseline, 'baseline-out');
row('hlsaudio package', times.hlsaudio, 'hlsaudio');
row('hlsaudio package --container fmp4', times.fmp4, 'hlsaudio-fmp4');
console.log(`  ratio hlsaudio / ffmpeg            ${(median(times.hlsaudio) / median(times.ffmpeg)).toFixed(2)}   (target <= 0.70)`);
console.log(`  ratio fmp4 / packed                ${(median(times.fmp4) / median(times.hlsaudio)).toFixed(2)}`);
console.log(`  CPU ratio fmp4 / packed            ${cpuRatio('hlsaudio-fmp4', 'hlsaudio')}`);
if (baselineBin) {
  console.log(`  ratio hlsaudio / ${values.baseline}`.padEnd(37) + `${(median(times.hlsaudio) / median(times.baseline)).toFixed(2)}   (loudness and peaks added; target <= 1.05)`);
  console.log(`  CPU ratio hlsaudio / ${values.baseline}`.padEnd(37) + cpuRatio('hlsaudio', 'baseline-out'));
}
const costs = await loudnessCosts();
console.log(`  loudness in the decode pass (CPU s): decode alone ${costs.decodeCpu.toFixed(2)}, ffmpeg ebur128 adds ${costs.ebur128Cpu.toFixed(2)}, hlsaudio's analysis (loudness, fold, true peak, peaks) ${costs.analysisCpu.toFixed(2)}`);
