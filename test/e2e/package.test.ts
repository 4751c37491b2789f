import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GOOD_FIXTURES } from '../../fixtures/make-fixtures.js';
import type { CatalogInfo, TrackInfo } from '../../src/catalog/schema.js';
import { peakSegmentBitrate } from '../../src/hls/bitrate.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { checkVariantPlaylist, parsePlaylist } from '../helpers/hls-check.js';
import { decode, durationOf, ffprobe, unexpectedMessages } from '../helpers/media.js';
import { tempDir } from '../helpers/temp.js';

const out = join(tempDir(), 'out');
const sources = Object.keys(GOOD_FIXTURES);
const idOf = (name: string) => name.replace(/\.[^.]+$/, '');
let summary: { built: number; failed: number; tracks: { id: string; status: string }[] };

beforeAll(async () => {
  const result = await runCli(['package', ...sources.map((name) => join(FIXTURES, name)), '-o', out, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  summary = JSON.parse(result.stdout);
});

function track(id: string): TrackInfo {
  return JSON.parse(readFileSync(join(out, id, 'track.json'), 'utf8')) as TrackInfo;
}

describe('hlsaudio package on every fixture format', () => {
  it('builds every source and lists it in catalog.json', () => {
    expect(summary).toMatchObject({ built: sources.length, failed: 0 });
    const catalog = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as CatalogInfo;
    expect(catalog.tracks.map((entry) => entry.id)).toEqual(sources.map(idOf).sort());
    expect(catalog.tracks.find((entry) => entry.id === 'wav-44k-stereo')).toMatchObject({
      title: 'Chord Study',
      artist: 'Fixture Band',
      album: 'Test Sessions',
      master: 'wav-44k-stereo/master.m3u8',
      profiles: ['high', 'medium', 'low', 'mobile'],
    });
  });

  it('writes exactly the spec layout: masters, one playlist and one media file per variant, peaks, named by their content, nothing else', () => {
    expect(readdirSync(out).sort()).toEqual(['catalog.json', ...sources.map(idOf)].sort());
    for (const name of sources) {
      const dir = join(out, idOf(name));
      expect(readdirSync(dir).sort()).toEqual(['high', 'low', 'master-mp3.m3u8', 'master.m3u8', 'medium', 'mobile', expect.stringMatching(/^peaks\.[0-9a-f]{12}\.json$/), 'track.json']);
      const info = track(idOf(name));
      expect(info.retired).toEqual([]);
      expect(readdirSync(dir)).toContain(info.peaks!.file);
      for (const [quality, extension] of [['high', 'aac'], ['medium', 'aac'], ['low', 'mp3'], ['mobile', 'aac']]) {
        const files = readdirSync(join(dir, quality!)).sort();
        expect(files).toEqual([expect.stringMatching(new RegExp(`^audio\\.[0-9a-f]{12}\\.${extension}$`)), expect.stringMatching(/^playlist\.[0-9a-f]{12}\.m3u8$/)]);
        // The name is the first 12 hex digits of the SHA-256 of the bytes.
        for (const file of files) expect(file.split('.')[1]).toBe(createHash('sha256').update(readFileSync(join(dir, quality!, file))).digest('hex').slice(0, 12));
        const variant = info.variants.find((v) => v.quality_id === quality)!;
        expect([variant.file, variant.playlist].sort()).toEqual(files.map((file) => `${quality}/${file}`).sort());
      }
    }
  });

  it('records tags, source facts and measured variants in track.json', () => {
    const info = track('vorbis-44k-stereo');
    expect(info).toMatchObject({
      id: 'vorbis-44k-stereo',
      title: 'Vorbis Étude',
      artist: 'Ogg Player',
      album: null,
      source: { file: expect.stringMatching(/vorbis-44k-stereo\.ogg$/), size_bytes: statSync(join(FIXTURES, 'vorbis-44k-stereo.ogg')).size, codec: 'vorbis', sample_rate: 44100, channels: 2 },
      segment_duration_s: 6,
      target_duration_s: 6,
      encoder_delay_compensated: true,
      masters: [
        { file: 'master.m3u8', codec_family: 'aac', container: 'packed', profiles: ['high', 'medium', 'mobile'] },
        { file: 'master-mp3.m3u8', codec_family: 'mp3', container: 'packed', profiles: ['low'] },
      ],
    });
    expect(info.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.duration_ms).toBeCloseTo(8000, -1);
    for (const variant of info.variants) {
      expect(variant.bytes).toBe(statSync(join(out, info.id, variant.file)).size);
      expect(variant.peak_bitrate_bps).toBeGreaterThanOrEqual(variant.average_bitrate_bps * 0.9);
    }
    expect(track('wav-44k-stereo').title).toBe('Chord Study');
    expect(track('flac-48k-stereo').title).toBe('flac-48k-stereo'); // no tags: the file name
  });

  describe.each(sources.map(idOf))('%s', (id) => {
    it('has RFC 8216 playlists whose byte ranges, ID3 timestamps and EXTINF match the media file', async () => {
      const info = track(id);
      for (const variant of info.variants) {
        const codec = info.profiles.find((p) => p.quality_id === variant.quality_id)!.codec as 'aac' | 'mp3';
        const checked = checkVariantPlaylist(join(out, id, variant.playlist), codec);
        expect(checked.manifest.targetDuration).toBe(info.target_duration_s);
        expect(checked.sampleRate).toBe(variant.sample_rate);
        expect(checked.manifest.segments).toHaveLength(variant.segment_count);
        const probe = await ffprobe(checked.mediaFile);
        expect(probe.streams[0]).toMatchObject({ codec_name: codec, sample_rate: String(variant.sample_rate), channels: variant.channels });
      }
    });

    it('declares measured BANDWIDTH, AVERAGE-BANDWIDTH and exact CODECS, one codec family per master', () => {
      const families = { 'master.m3u8': ['high', 'medium', 'mobile'], 'master-mp3.m3u8': ['low'] } as const;
      for (const [file, qualities] of Object.entries(families)) {
        const master = parsePlaylist(join(out, id, file));
        expect(master.playlists!.map((variant) => variant.uri)).toEqual(qualities.map((q) => track(id).variants.find((v) => v.quality_id === q)!.playlist));
        for (const listed of master.playlists!) {
          const quality = listed.uri.split('/')[0]!;
          const checked = checkVariantPlaylist(join(out, id, listed.uri), quality === 'low' ? 'mp3' : 'aac');
          const segments = checked.segmentBytes.map((length, i) => ({ length, durationSec: checked.segmentDurations[i]! }));
          const totalBits = checked.segmentBytes.reduce((a, b) => a + b, 0) * 8;
          const totalSec = checked.segmentDurations.reduce((a, b) => a + b, 0);
          expect(listed.attributes.BANDWIDTH).toBe(peakSegmentBitrate(segments, checked.manifest.targetDuration!));
          expect(Number(listed.attributes['AVERAGE-BANDWIDTH'])).toBe(Math.ceil(totalBits / totalSec));
          expect(listed.attributes.CODECS).toBe(quality === 'low' ? 'mp4a.40.34' : 'mp4a.40.2');
        }
      }
    });

    it('decodes through ffmpeg\'s HLS demuxer, masters and variants, to the source\'s length within 50 ms', async () => {
      const info = track(id);
      const source = await decode(join(FIXTURES, sources.find((name) => idOf(name) === id)!), { sampleRate: info.source.sample_rate, channels: 1 });
      expect(source.stderr).toBe('');
      const targets = [
        ...info.masters.map((master) => ({ file: master.file, codec: master.codec_family, rate: info.variants.find((v) => v.quality_id === master.profiles[0])!.sample_rate })),
        ...info.variants.map((v) => ({ file: v.playlist, codec: info.profiles.find((p) => p.quality_id === v.quality_id)!.codec, rate: v.sample_rate })),
      ];
      for (const target of targets) {
        const decoded = await decode(join(out, id, target.file), { sampleRate: target.rate, channels: 2 });
        if (target.codec === 'aac') expect(decoded.stderr, target.file).toBe('');
        else expect(unexpectedMessages(decoded.stderr, { frameSamples: 576 }), target.file).toEqual([]);
        expect(Math.abs(durationOf(decoded) - durationOf(source)), target.file).toBeLessThan(0.05);
      }
    });
  });

  it('upmixes a mono source to dual mono at the source level', async () => {
    const source = await decode(join(FIXTURES, 'mp3-22k-mono.mp3'), { sampleRate: 44100, channels: 1 });
    const variant = await decode(join(out, 'mp3-22k-mono', track('mp3-22k-mono').variants.find((v) => v.quality_id === 'high')!.playlist), { sampleRate: 44100, channels: 2 });
    let sideEnergy = 0;
    let energy = 0;
    for (let i = 0; i + 1 < variant.samples.length; i += 2) {
      sideEnergy += (variant.samples[i]! - variant.samples[i + 1]!) ** 2;
      energy += variant.samples[i]! ** 2;
    }
    const sourceEnergy = source.samples.reduce((sum, x) => sum + x * x, 0);
    // Left and right differ only by coding noise (a stereo source would be near 0 dB here).
    expect(10 * Math.log10(sideEnergy / energy)).toBeLessThan(-30);
    const levelDb = 10 * Math.log10(energy / sourceEnergy);
    expect(Math.abs(levelDb)).toBeLessThan(0.5); // ffmpeg's own -ac 2 would give -3 dB
  });

  it('leaves no temporary files in the output folder', () => {
    const hidden = readdirSync(out, { recursive: true }).map(String).filter((path) => path.split('/').some((part) => part.startsWith('.')));
    expect(hidden).toEqual([]);
    expect(existsSync(join(out, '.catalog.lock'))).toBe(false);
  });
});
