import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { checkVariantPlaylist } from '../helpers/hls-check.js';
import { decode, durationOf, unexpectedMessages } from '../helpers/media.js';
import { tempDir } from '../helpers/temp.js';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const bundled = {
  ffmpeg: (require('@ffmpeg-installer/ffmpeg') as { path: string }).path,
  ffprobe: (require('@ffprobe-installer/ffprobe') as { path: string }).path,
};
const builds = [
  { name: 'Debian ffmpeg 5.1 (PATH)', env: {} as NodeJS.ProcessEnv, ffmpeg: 'ffmpeg', version: /^ffmpeg version 5\./ },
  { name: 'bundled ffmpeg 4.1', env: { FFMPEG_PATH: bundled.ffmpeg, FFPROBE_PATH: bundled.ffprobe }, ffmpeg: bundled.ffmpeg, version: /^ffmpeg version N-47683/ },
];
const root = tempDir();

/** A 3 s stereo WAV at 44.1 kHz, silent but for one click at exactly 1.5 s. */
function impulse(): string {
  const file = join(root, 'click.wav');
  const expression = "if(eq(n\\,66150)\\,0.9\\,0)";
  const result = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expression}|${expression}:s=44100:d=3`, '-c:a', 'pcm_f32le', file]);
  expect(result.status, String(result.stderr)).toBe(0);
  return file;
}

function peakIndex(samples: Float32Array, channels: number): number {
  let best = 0;
  for (let i = 0; i < samples.length; i += channels) if (Math.abs(samples[i]!) > Math.abs(samples[best]!)) best = i;
  return best / channels;
}

describe.each(builds)('with $name', ({ env, ffmpeg, version }) => {
  const out = join(root, ffmpeg === 'ffmpeg' ? 'debian' : 'bundled');

  it('packages stereo and mono sources into valid byte-range HLS that both ffmpeg builds decode', async () => {
    const result = await runCli(['package', join(FIXTURES, 'flac-48k-stereo.flac'), join(FIXTURES, 'mp3-22k-mono.mp3'), '-o', out, '--json'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).ffmpeg).toMatch(version);
    for (const id of ['flac-48k-stereo', 'mp3-22k-mono']) {
      const info = JSON.parse(readFileSync(join(out, id, 'track.json'), 'utf8')) as TrackInfo;
      const source = await decode(join(FIXTURES, info.source.file.split('/').pop()!), { sampleRate: 44100, channels: 1 });
      for (const variant of info.variants) {
        const codec = variant.quality_id === 'low' ? 'mp3' : 'aac';
        checkVariantPlaylist(join(out, id, variant.playlist), codec);
        for (const decoder of ['ffmpeg', bundled.ffmpeg]) {
          const decoded = await decode(join(out, id, variant.playlist), { sampleRate: variant.sample_rate, channels: 2, ffmpeg: decoder });
          expect(unexpectedMessages(decoded.stderr, { frameSamples: codec === 'mp3' ? 576 : 0 }), `${decoder} ${variant.playlist}`).toEqual([]);
          expect(Math.abs(durationOf(decoded) - durationOf(source))).toBeLessThan(0.05);
        }
      }
    }
  });

  it('lines every variant up with the source: a click at 1.5 s decodes at 1.5 s (encoder priming cancelled)', async () => {
    const click = impulse();
    const clickOut = `${out}-click`;
    const result = await runCli(['package', click, '-o', clickOut], { env });
    expect(result.code).toBe(0);
    const info = JSON.parse(readFileSync(join(clickOut, 'click', 'track.json'), 'utf8')) as TrackInfo;
    for (const variant of info.variants) {
      const decoded = await decode(join(clickOut, 'click', variant.file), { sampleRate: 44100, channels: 1 });
      const at = peakIndex(decoded.samples, 1) / 44100;
      expect(Math.abs(at - 1.5) * 1000, variant.quality_id).toBeLessThan(1);
    }
  });
});
