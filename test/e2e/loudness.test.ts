import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toPeakValue } from '../../src/analysis/peaks.js';
import type { CatalogInfo, TrackInfo } from '../../src/catalog/schema.js';
import { parseEbur128Metadata } from '../../src/media/ebur128.js';
import { readTrackLoudness } from '../../src/mp4/loudness-box.js';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { decode } from '../helpers/media.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Loudness, peaks and the lossless profile end to end, with ffmpeg as the referee: the recorded
 * loudness against ffmpeg's `ebur128` filter on the same source, normalised variants measured by it
 * through the HLS demuxer, peaks against ffmpeg's decode of the source, FLAC against the source's md5.
 */
const root = tempDir();
/**
 * 20 s of pink noise and two tones in three sections (quiet, loud, middle), so that the loudness
 * range is not zero; 24-bit FLAC at 48 kHz. Full-band noise bursts (the fixture generator's hi-hat)
 * make ffmpeg's native AAC encoder overshoot by 3 dB, which no normalisation survives; this does not.
 */
function dynamicSource(file: string, format: string[]): string {
  const level = "volume='if(lt(t,7),0.25,if(lt(t,14),1,0.5))':eval=frame";
  const result = spawnSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.2:seed=7:d=20:r=48000',
    '-f', 'lavfi', '-i', "aevalsrc='0.15*sin(2*PI*220*t)|0.15*sin(2*PI*330*t)':s=48000:d=20",
    '-filter_complex', `[0:a]aformat=channel_layouts=stereo[n];[n][1:a]amix=inputs=2:normalize=0,${level}`,
    ...format, file,
  ]);
  expect(result.status, String(result.stderr)).toBe(0);
  return file;
}
const ebur128 = (input: string, extra: string[] = []) => {
  const result = spawnSync('ffmpeg', ['-v', 'error', ...extra, '-i', input, '-af', 'ebur128=peak=true+sample:metadata=1,ametadata=mode=print:file=-', '-f', 'null', '-'], { maxBuffer: 64 << 20 });
  expect(result.status, String(result.stderr)).toBe(0);
  return parseEbur128Metadata(String(result.stdout));
};
const md5 = (input: string, codec: string) => String(spawnSync('ffmpeg', ['-v', 'error', '-i', input, '-map', '0:a:0', '-c:a', codec, '-f', 'md5', '-']).stdout).trim();
const track = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, id, 'track.json'), 'utf8')) as TrackInfo;

let source24: string;
let source16: string;
beforeAll(() => {
  source24 = dynamicSource(join(root, 'dynamic-24.flac'), ['-c:a', 'flac', '-sample_fmt', 's32', '-bits_per_raw_sample', '24']);
  source16 = dynamicSource(join(root, 'dynamic-16.wav'), ['-ar', '44100', '-c:a', 'pcm_s16le']);
});

describe('measured loudness and waveform peaks (no target: the audio is untouched)', () => {
  const out = join(root, 'measured');
  beforeAll(async () => {
    const result = await runCli(['package', source24, join(FIXTURES, 'mp3-22k-mono.mp3'), '-o', out, '--only', 'mobile,low', '--container', 'fmp4', '--quiet']);
    expect(result.code).toBe(0);
  });

  it.each([['dynamic-24', 'dynamic-24.flac'], ['mp3-22k-mono', 'mp3-22k-mono.mp3']])('%s: integrated loudness and range within 0.1 LU of ffmpeg\'s ebur128, peaks within 0.2 dB', (id, name) => {
    const reference = ebur128(id === 'dynamic-24' ? source24 : join(FIXTURES, name));
    const { loudness } = track(out, id);
    expect(Math.abs(loudness!.integrated_lufs! - reference.integrated_lufs!)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(loudness!.range_lu! - reference.range_lu!)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(loudness!.sample_peak_dbfs! - reference.sample_peak_dbfs!)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(loudness!.true_peak_dbtp! - reference.true_peak_dbtp!)).toBeLessThanOrEqual(0.2);
    if (id === 'dynamic-24') expect(loudness!.range_lu).toBeGreaterThan(3);
  });

  it('records each variant\'s loudness, the catalog\'s, and the fMP4 init segment\'s tlou box', () => {
    const mono = track(out, 'mp3-22k-mono');
    // A mono source plays as dual mono: 3.01 LU louder than measured on its one channel.
    expect(mono.variants.find((v) => v.quality_id === 'mobile')!.loudness).toEqual({
      integrated_lufs: Math.round((mono.loudness!.integrated_lufs! + 10 * Math.log10(2)) * 100) / 100,
      true_peak_dbtp: mono.loudness!.true_peak_dbtp,
      gain_db: 0,
      limited: false,
      measured: 'source',
    });
    const catalog = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as CatalogInfo;
    expect(catalog.tracks.find((t) => t.id === 'dynamic-24')!.loudness).toEqual({
      integrated_lufs: track(out, 'dynamic-24').loudness!.integrated_lufs,
      true_peak_dbtp: track(out, 'dynamic-24').loudness!.true_peak_dbtp,
      range_lu: track(out, 'dynamic-24').loudness!.range_lu,
      normalized_to_lufs: null,
    });
    const media = readFileSync(join(out, 'dynamic-24', track(out, 'dynamic-24').variants.find((v) => v.quality_id === 'mobile')!.file));
    const tlou = media.indexOf('tlou');
    const fields = readTrackLoudness(media.subarray(tlou + 4, tlou - 4 + media.readUInt32BE(tlou - 4)));
    expect(Math.abs(fields.integratedLufs! - track(out, 'dynamic-24').loudness!.integrated_lufs!)).toBeLessThanOrEqual(0.125);
    expect(Math.abs(fields.truePeakDbtp! - track(out, 'dynamic-24').loudness!.true_peak_dbtp!)).toBeLessThanOrEqual(1 / 64);
  });

  it('writes peaks.json in audiowaveform v2 format, min and max of each 512 frames of the decoded PCM', async () => {
    const peaksFile = track(out, 'dynamic-24').peaks!.file;
    expect(peaksFile).toMatch(/^peaks\.[0-9a-f]{12}\.json$/);
    const peaks = JSON.parse(readFileSync(join(out, 'dynamic-24', peaksFile), 'utf8'));
    const pcm = await decode(source24, { sampleRate: 48000, channels: 2 });
    const frames = pcm.samples.length / 2;
    expect(peaks).toMatchObject({ version: 2, channels: 2, sample_rate: 48000, samples_per_pixel: 512, bits: 8, length: Math.ceil(frames / 512) });
    const expected: number[] = [];
    for (let start = 0; start < frames; start += 512) {
      for (let channel = 0; channel < 2; channel++) {
        let min = Infinity;
        let max = -Infinity;
        for (let frame = start; frame < Math.min(frames, start + 512); frame++) {
          min = Math.min(min, pcm.samples[frame * 2 + channel]!);
          max = Math.max(max, pcm.samples[frame * 2 + channel]!);
        }
        expected.push(toPeakValue(min), toPeakValue(max));
      }
    }
    expect(peaks.data).toEqual(expected);
    expect(track(out, 'dynamic-24').peaks).toEqual({ file: peaksFile, samples_per_pixel: 512, bits: 8, length: peaks.length });
  });
});

describe('--loudness-target', () => {
  // The source measures about -20.5 LUFS with a true peak near -11.7 dBTP: -14 takes +6.5 dB of gain
  // alone; -8 takes +12.5 dB, which would put the peaks above -1 dBTP without the limiter.
  it.each([
    ['packed', -14, false, ['--only', 'high,low,mobile']],
    ['fmp4', -8, true, ['--only', 'medium', '--container', 'fmp4']],
  ])('%s, target %d LUFS: every variant decoded through ffmpeg\'s HLS demuxer measures at the target within 0.5 LU, true peak at most -1 dBTP (limiter: %s)', async (container, target, limited, extra) => {
    const out = join(root, `normalised-${container}`);
    const result = await runCli(['package', source16, '-o', out, '--loudness-target', String(target), ...extra, '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const info = track(out, 'dynamic-16');
    expect(info.normalization).toEqual({ target_lufs: target, true_peak_ceiling_dbtp: -1, mode: 'normalize' });
    for (const variant of info.variants) {
      const measured = ebur128(join(out, 'dynamic-16', variant.playlist));
      expect(Math.abs(measured.integrated_lufs! - target), variant.quality_id).toBeLessThanOrEqual(0.5);
      expect(measured.true_peak_dbtp!, variant.quality_id).toBeLessThanOrEqual(-1);
      expect(variant.loudness).toMatchObject({ measured: 'decoded-variant', limited });
      expect(variant.loudness!.gain_db).toBeGreaterThan(5);
    }
    const catalog = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as CatalogInfo;
    expect(catalog.tracks[0]!.loudness!.normalized_to_lufs).toBe(target);
  });

  it('--loudness-mode attenuate never raises: a quiet track stays as it is', async () => {
    const out = join(root, 'attenuated');
    const result = await runCli(['package', source16, '-o', out, '--loudness-target', '-14', '--loudness-mode', 'attenuate', '--only', 'mobile', '--quiet']);
    expect(result.code).toBe(0);
    const variant = track(out, 'dynamic-16').variants[0]!;
    expect(variant.loudness).toMatchObject({ gain_db: 0, limited: false });
    const measured = ebur128(join(out, 'dynamic-16', variant.playlist));
    expect(Math.abs(measured.integrated_lufs! - track(out, 'dynamic-16').loudness!.integrated_lufs!)).toBeLessThan(0.3);
  });

  it('refuses a ceiling or a mode without a target', async () => {
    const result = await runCli(['package', source16, '-o', join(root, 'x'), '--loudness-mode', 'attenuate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hlsaudio: Expected `--loudness-target` to be given with --loudness-mode, got nothing\n');
  });
});

describe('the lossless profile (profiles/lossless.json)', () => {
  it.each([
    ['24-bit 48 kHz FLAC', 'dynamic-24', () => source24, 48000, 24],
    ['16-bit 44.1 kHz WAV', 'dynamic-16', () => source16, 44100, 16],
  ])('%s: the FLAC variant in fMP4 decodes bit for bit as the source, at its rate and depth', async (_, id, source, rate, bits) => {
    const out = join(root, `lossless-${id}`);
    const result = await runCli(['package', source(), '-o', out, '--profiles', join(ROOT, 'profiles', 'lossless.json'), '--quiet']);
    expect(result.code).toBe(0);
    const info = track(out, id);
    expect(info.masters.map((m) => [m.file, m.codec_family, m.container])).toEqual([
      ['master.m3u8', 'aac', 'fmp4'],
      ['master-flac.m3u8', 'flac', 'fmp4'],
    ]);
    const lossless = info.variants.find((v) => v.quality_id === 'lossless')!;
    expect(lossless).toMatchObject({ codecs: 'fLaC', sample_rate: rate, bits_per_sample: bits, container: 'fmp4' });
    expect(readFileSync(join(out, id, 'master-flac.m3u8'), 'utf8')).toMatch(/CODECS="fLaC"/);
    const codec = bits === 24 ? 'pcm_s32le' : 'pcm_s16le';
    expect(md5(join(out, id, lossless.playlist), codec)).toBe(md5(source(), codec));
    expect(md5(join(out, id, lossless.file), codec)).toBe(md5(source(), codec));
    const validated = await runCli(['validate', out]);
    expect(validated.stdout).toMatch(/valid: 1 tracks, 0 errors/);
  });
});
