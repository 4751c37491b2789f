#!/usr/bin/env node
/**
 * `hlsaudio package` against ffmpeg's own one-command ladder (asplit into four encoders, HLS muxer,
 * single_file byte ranges), on the same 180 s of music-like audio, in the same run, alternating,
 * median of each. Prints both times and the ratio (target: at most 0.7 on 2 cores).
 *
 *   npm run bench:package [-- --seconds 180 --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMusic } from '../fixtures/make-fixtures.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '180' }, runs: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const root = dirname(fileURLToPath(import.meta.url));
const work = join(root, 'output', 'package');
mkdirSync(work, { recursive: true });
const source = makeMusic(seconds, join(work, `music-${seconds}s.wav`));
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';

function timed(command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
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

function hlsaudio() {
  const out = join(work, 'hlsaudio');
  return timed(process.execPath, [join(root, '..', 'bin', 'hlsaudio.js'), 'package', source, '-o', out, '--force', '--quiet']);
}

const times = { ffmpeg: [], hlsaudio: [] };
for (let run = 0; run < runs; run++) {
  times.ffmpeg.push(ffmpegLadder());
  times.hlsaudio.push(hlsaudio());
}
const ffmpegSec = median(times.ffmpeg);
const hlsaudioSec = median(times.hlsaudio);
console.log(`bench/package: ${seconds} s of music-like audio, 4 profiles, ${availableParallelism()} cores, median of ${runs}`);
console.log(`  ffmpeg one-command ladder  ${ffmpegSec.toFixed(2)} s   (runs: ${times.ffmpeg.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`  hlsaudio package           ${hlsaudioSec.toFixed(2)} s   (runs: ${times.hlsaudio.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`  ratio hlsaudio / ffmpeg    ${(hlsaudioSec / ffmpegSec).toFixed(2)}   (target <= 0.70)`);
