import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { peakSegmentBitrate } from '../../src/hls/bitrate.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { parsePlaylist } from '../helpers/hls-check.js';
import { decode, durationOf } from '../helpers/media.js';
import { request, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `--container fmp4` end to end: the playlists and byte ranges read back independently of
 * hlsaudio's writer (boxes walked here), ffmpeg's HLS demuxer decoding to the source's length within
 * a frame, sample-exact at the start (edit list, and iTunSMPB for ffmpeg), `validate`, `/stream/`.
 */
const require = createRequire(import.meta.url);
const bundledFfmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const root = tempDir();
const out = join(root, 'out');
const SOURCES = ['wav-44k-stereo.wav', 'mp3-22k-mono.mp3'];
const idOf = (name: string) => name.replace(/\.[^.]+$/, '');
const track = (id: string, dir = out) => JSON.parse(readFileSync(join(dir, id, 'track.json'), 'utf8')) as TrackInfo;

beforeAll(async () => {
  const result = await runCli(['package', ...SOURCES.map((name) => join(FIXTURES, name)), '-o', out, '--container', 'fmp4', '--quiet']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

afterAll(stopServers);

/** Top-level boxes of a file: [type, offset, size]. */
function boxes(bytes: Buffer): [string, number, number][] {
  const found: [string, number, number][] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    found.push([bytes.toString('latin1', at + 4, at + 8), at, size]);
    at += size;
  }
  return found;
}

describe('hlsaudio package --container fmp4', () => {
  it('puts the AAC ladder in fMP4 and keeps the MP3 profile packed, each in its own master', () => {
    const info = track('wav-44k-stereo');
    expect(info.schema).toBe(2);
    expect(info.masters).toEqual([
      { file: 'master.m3u8', codec_family: 'aac', container: 'fmp4', profiles: ['high', 'medium', 'mobile'] },
      { file: 'master-mp3.m3u8', codec_family: 'mp3', container: 'packed', profiles: ['low'] },
    ]);
    const named = (quality: string, extension: string) => expect.stringMatching(new RegExp(`^${quality}/audio\\.[0-9a-f]{12}\\.${extension}$`));
    expect(info.variants.map((v) => [v.quality_id, v.file, v.container])).toEqual([
      ['high', named('high', 'mp4'), 'fmp4'],
      ['medium', named('medium', 'mp4'), 'fmp4'],
      ['low', named('low', 'mp3'), 'packed'],
      ['mobile', named('mobile', 'mp4'), 'fmp4'],
    ]);
  });

  describe.each(SOURCES.map(idOf))('%s', (id) => {
    it('has version-6 playlists whose EXT-X-MAP is the ftyp+moov and whose ranges are one moof+mdat each, contiguous and covering the file', () => {
      const info = track(id);
      for (const variant of info.variants.filter((v) => v.container === 'fmp4')) {
        const text = readFileSync(join(out, id, variant.playlist), 'utf8');
        const manifest = parsePlaylist(join(out, id, variant.playlist));
        expect(manifest.version).toBe(6);
        // The init segment is the start of the content-addressed media file: it has that name.
        const mediaName = variant.file.split('/').pop()!;
        expect(mediaName).toMatch(/^audio\.[0-9a-f]{12}\.mp4$/);
        expect(text).toMatch(new RegExp(`^#EXT-X-MAP:URI="${mediaName.replace(/\./g, '\\.')}",BYTERANGE="\\d+@0"$`, 'm'));
        const media = readFileSync(join(out, id, variant.file));
        const fileBoxes = boxes(media);
        const initLength = fileBoxes[0]![2] + fileBoxes[1]![2];
        expect(fileBoxes.slice(0, 2).map((box) => box[0])).toEqual(['ftyp', 'moov']);
        expect(manifest.segments[0]!.map).toEqual({ uri: mediaName, byterange: { length: initLength, offset: 0 } });
        let expected = initLength;
        for (const segment of manifest.segments) {
          expect(segment.byterange!.offset).toBe(expected);
          const inside = fileBoxes.filter(([, offset]) => offset >= expected && offset < expected + segment.byterange!.length);
          expect(inside.map((box) => box[0])).toEqual(['moof', 'mdat']);
          expected += segment.byterange!.length;
        }
        expect(expected).toBe(media.length);
        expect(variant.bytes).toBe(media.length);
        const sum = manifest.segments.reduce((total, segment) => total + segment.duration, 0);
        expect(Math.abs(sum - info.duration_ms / 1000)).toBeLessThan(1e-5); // the edit list presents the source's length
      }
    });

    it('declares CODECS from the sample entry and BANDWIDTH measured on the fragments', () => {
      const master = parsePlaylist(join(out, id, 'master.m3u8'));
      for (const listed of master.playlists!) {
        expect(listed.attributes.CODECS).toBe('mp4a.40.2');
        const variant = parsePlaylist(join(out, id, listed.uri));
        const segments = variant.segments.map((s) => ({ length: s.byterange!.length, durationSec: s.duration }));
        expect(listed.attributes.BANDWIDTH).toBe(peakSegmentBitrate(segments, variant.targetDuration!));
      }
    });

    it('decodes through ffmpeg\'s HLS demuxer (5.1 and 4.1) to the source\'s length within one frame', async () => {
      const info = track(id);
      const source = await decode(join(FIXTURES, SOURCES.find((name) => idOf(name) === id)!), { sampleRate: info.source.sample_rate, channels: 1 });
      for (const file of ['master.m3u8', ...info.variants.filter((v) => v.container === 'fmp4').map((v) => v.playlist)]) {
        for (const ffmpeg of ['ffmpeg', bundledFfmpeg]) {
          const decoded = await decode(join(out, id, file), { sampleRate: 44100, channels: 2, ffmpeg });
          expect(decoded.stderr, `${ffmpeg} ${file}`).toBe('');
          expect(durationOf(decoded) - durationOf(source), `${ffmpeg} ${file}`).toBeGreaterThanOrEqual(-1e-3);
          expect(durationOf(decoded) - durationOf(source), `${ffmpeg} ${file}`).toBeLessThan(1024 / 22050);
        }
      }
    });
  });

  it('passes hlsaudio validate, which warns of the AAC master mixing 22.05 and 44.1 kHz', async () => {
    const result = await runCli(['validate', out, '--json']);
    const report = JSON.parse(result.stdout);
    expect(report.errors).toBe(0);
    expect(result.code).toBe(0);
    const warnings = report.tracks.flatMap((t: { warnings: { rule: string; file: string }[] }) => t.warnings);
    expect(warnings.map((w: { rule: string; file: string }) => `${w.rule} ${w.file}`).sort()).toEqual(['mixed-sample-rates mp3-22k-mono/master.m3u8', 'mixed-sample-rates wav-44k-stereo/master.m3u8']);
  });

  it('validate catches a tfdt that does not follow the EXTINF values and a map that is not the init segment', async () => {
    const dir = join(root, 'damaged');
    spawnSync('cp', ['-r', out, dir]);
    const medium = track('wav-44k-stereo', dir).variants.find((v) => v.quality_id === 'medium')!;
    const playlist = join(dir, 'wav-44k-stereo', medium.playlist);
    writeFileSync(playlist, readFileSync(playlist, 'utf8').replace(/BYTERANGE="(\d+)@0"/, (_, n) => `BYTERANGE="${Number(n) - 8}@0"`).replace(/#EXTINF:[\d.]+,/, '#EXTINF:5.5,'));
    const result = await runCli(['validate', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/wav-44k-stereo\/medium\/playlist\.[0-9a-f]{12}\.m3u8 {2}EXT-X-MAP \d+@0, but the init segment \(ftyp, moov\) is \d+@0 in wav-44k-stereo\/medium\/audio\.[0-9a-f]{12}\.mp4 \[init-range\]/);
    expect(result.stdout).toMatch(/segment 1: EXTINF 5\.5 s, but its \d+ samples present 5\.\d+ s \[extinf\]/);
    expect(result.stdout).toMatch(/segment 2: tfdt \d+, but the priming \(1024\) and the EXTINF values before it give \d+/);
  });
});

describe('the edit list: sample-exact from the first sample', () => {
  it('a click at 1.5 s decodes at 1.5 s through ffmpeg\'s HLS demuxer, 5.1 and 4.1, though the priming is in the file', async () => {
    const click = join(root, 'click.wav');
    const expression = 'if(eq(n\\,66150)\\,0.9\\,0)';
    expect(spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expression}|${expression}:s=44100:d=3`, '-c:a', 'pcm_f32le', click]).status).toBe(0);
    const clickOut = join(root, 'click-out');
    expect((await runCli(['package', click, '-o', clickOut, '--container', 'fmp4', '--only', 'high,medium'])).code).toBe(0);
    const info = track('click', clickOut);
    for (const variant of info.variants) {
      // The one fragment holds the priming and the end padding too (3.048 s of samples); the edit list presents 3 s.
      expect(readFileSync(join(clickOut, 'click', variant.playlist), 'utf8')).toMatch(/^#EXTINF:3\.000000,$/m);
      for (const ffmpeg of ['ffmpeg', bundledFfmpeg]) {
        const decoded = await decode(join(clickOut, 'click', variant.playlist), { sampleRate: 44100, channels: 1, ffmpeg });
        let peak = 0;
        for (let i = 0; i < decoded.samples.length; i++) if (Math.abs(decoded.samples[i]!) > Math.abs(decoded.samples[peak]!)) peak = i;
        expect(peak, `${variant.quality_id} ${ffmpeg}`).toBe(66150);
      }
    }
  });
});

describe('/stream/ of an fMP4 variant', () => {
  it('serves init and fragments as one fragmented MP4 that ffmpeg decodes whole', async () => {
    const server = await startServe(out);
    const answer = await request(server.port, 'GET', '/stream/wav-44k-stereo.mp4?quality=medium');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('audio/mp4');
    const media = readFileSync(join(out, 'wav-44k-stereo', track('wav-44k-stereo').variants.find((v) => v.quality_id === 'medium')!.file));
    expect(answer.body.equals(media)).toBe(true);
    const file = join(root, 'streamed.mp4');
    writeFileSync(file, answer.body);
    const decoded = await decode(file, { sampleRate: 44100, channels: 2 });
    expect(decoded.stderr).toBe('');
    expect(Math.abs(durationOf(decoded) - track('wav-44k-stereo').duration_ms / 1000)).toBeLessThan(1024 / 44100);
    expect(statSync(file).size).toBe(media.length);
  });
});
