import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogInfo, TrackInfo } from '../../src/catalog/schema.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const root = tempDir();
const music = join(root, 'music');
const out = join(root, 'out');
const GOOD = ['short-22k-stereo.wav', 'opus-48k-stereo.opus', 'vorbis-44k-stereo.ogg', 'album/mp3-22k-mono.mp3'];
const IDS = ['mp3-22k-mono', 'opus-48k-stereo', 'short-22k-stereo', 'vorbis-44k-stereo'];

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
const builtAt = (dir: string, id: string) => readJson<TrackInfo>(join(dir, id, 'track.json')).build.built_at;
const visibleTracks = (dir: string) => readdirSync(dir).filter((name) => !name.startsWith('.') && name !== 'catalog.json').sort();
/** A variant's playlist or media file as track.json names it (content-addressed), relative to `dir`. */
const variantPath = (dir: string, id: string, quality: string, which: 'playlist' | 'file') =>
  join(id, readJson<TrackInfo>(join(dir, id, 'track.json')).variants.find((variant) => variant.quality_id === quality)![which]);

beforeAll(() => {
  mkdirSync(join(music, 'album'), { recursive: true });
  for (const name of GOOD) cpSync(join(FIXTURES, name.split('/').pop()!), join(music, name));
  cpSync(join(FIXTURES, 'corrupt.flac'), join(music, 'album', 'corrupt.flac'));
  writeFileSync(join(music, '.DS_Store'), 'finder junk');
  writeFileSync(join(music, 'cover.jpg'), 'not audio, not an audio extension');
});

describe('a catalog build as CI runs it', () => {
  let first: { built: number; failed: number; tracks: { id: string; status: string; error?: { code: string; message: string } }[] };

  it('builds every good track of a folder and reports the corrupt one (exit 1)', async () => {
    const result = await runCli(['package', music, '-o', out, '--json']);
    expect(result.code).toBe(1);
    first = JSON.parse(result.stdout);
    expect(first).toMatchObject({ built: 4, skipped: 0, failed: 1 });
    expect(first.tracks.find((t) => t.status === 'failed')).toEqual({
      id: 'corrupt',
      source: expect.stringMatching(/album\/corrupt\.flac$/),
      status: 'failed',
      error: { code: 'E_INPUT_NOT_AUDIO', message: expect.stringMatching(/corrupt\.flac: not an audio file/) },
    });
    expect(result.stderr.trim()).toMatch(/^✖ .*corrupt\.flac: not an audio file/);
    expect(visibleTracks(out)).toEqual(IDS);
    expect(readJson<CatalogInfo>(join(out, 'catalog.json')).tracks.map((t) => t.id)).toEqual(IDS);
  });

  it('skips unchanged tracks on a rerun without running an encoder', async () => {
    const before = Object.fromEntries(IDS.map((id) => [id, builtAt(out, id)]));
    const media = join(out, variantPath(out, 'opus-48k-stereo', 'high', 'file'));
    const mediaTime = statSync(media).mtimeMs;
    const result = await runCli(['package', music, '-o', out, '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ built: 0, skipped: 4, failed: 1 });
    for (const id of IDS) expect(builtAt(out, id)).toBe(before[id]);
    expect(statSync(media).mtimeMs).toBe(mediaTime);
  });

  it('rebuilds a track whose source or options changed, and everything with --force', async () => {
    const before = Object.fromEntries(IDS.map((id) => [id, builtAt(out, id)]));
    cpSync(join(FIXTURES, 'vorbis-44k-stereo.ogg'), join(music, 'short-22k-stereo.wav')); // new content, same name
    const changed = JSON.parse((await runCli(['package', music, '-o', out, '--json'])).stdout);
    expect(changed).toMatchObject({ built: 1, skipped: 3 });
    expect(changed.tracks.find((t: { status: string }) => t.status === 'built').id).toBe('short-22k-stereo');
    const segments = JSON.parse((await runCli(['package', join(music, 'opus-48k-stereo.opus'), '-o', out, '--json', '--segment-duration', '4'])).stdout);
    expect(segments).toMatchObject({ built: 1, skipped: 0 });
    expect(readJson<TrackInfo>(join(out, 'opus-48k-stereo', 'track.json')).target_duration_s).toBe(4);
    const forced = JSON.parse((await runCli(['package', music, '-o', out, '--json', '--force'])).stdout);
    expect(forced).toMatchObject({ built: 4, skipped: 0, failed: 1 });
    for (const id of IDS) expect(builtAt(out, id)).not.toBe(before[id]);
    cpSync(join(FIXTURES, 'short-22k-stereo.wav'), join(music, 'short-22k-stereo.wav'));
  });

  it('validates the output it wrote; the default ladder\'s AAC master mixes 44.1 and 22.05 kHz, a warning per track', async () => {
    const result = await runCli(['validate', out]);
    expect(result.stdout).toMatch(/valid: 4 tracks, 0 errors, 4 warnings/);
    expect(result.stdout.match(/\[mixed-sample-rates\]/g)).toHaveLength(4);
    expect(result.code).toBe(0);
  });
});

describe('shards', () => {
  it('--shard 1/2 and 2/2 build disjoint parts whose union, merged, is the whole catalog', async () => {
    const parts = [join(root, 'shard-1'), join(root, 'shard-2')];
    const summaries = [];
    for (const [index, dir] of parts.entries()) {
      const result = await runCli(['package', music, '-o', dir, '--json', '--shard', `${index + 1}/2`, '--only', 'mobile']);
      summaries.push(JSON.parse(result.stdout) as { out_of_shard: number; tracks: { id: string; status: string }[] });
    }
    const ids = summaries.map((s) => s.tracks.map((t) => t.id).sort());
    expect(ids[0]!.filter((id) => ids[1]!.includes(id))).toEqual([]);
    expect([...ids[0]!, ...ids[1]!].sort()).toEqual([...IDS, 'corrupt'].sort());
    expect(summaries[0]!.out_of_shard + summaries[1]!.out_of_shard).toBe(5);
    // Stable: the same shard again picks the same tracks.
    const again = JSON.parse((await runCli(['package', music, '-o', parts[0]!, '--json', '--shard', '1/2', '--only', 'mobile'])).stdout);
    expect(again.tracks.map((t: { id: string }) => t.id).sort()).toEqual(ids[0]);

    const merged = join(root, 'merged');
    mkdirSync(merged);
    for (const dir of parts) for (const id of visibleTracks(dir)) cpSync(join(dir, id), join(merged, id), { recursive: true });
    const catalog = await runCli(['catalog', merged]);
    expect(catalog.code).toBe(0);
    expect(catalog.stdout).toMatch(/catalog\.json: 4 tracks/);
    expect(readJson<CatalogInfo>(join(merged, 'catalog.json')).tracks.map((t) => t.id)).toEqual(IDS);
    expect((await runCli(['validate', merged])).code).toBe(0);
  });
});

describe('kill -9 and resume', () => {
  it.each([
    ['while the first tracks decode', (dir: string) => readdirSync(dir).some((name) => name.includes('.tmp-'))],
    ['after some tracks landed', (dir: string) => visibleTracks(dir).length >= 1],
  ])('leaves only complete tracks and a valid catalog when killed %s; the next run finishes the rest', async (_, ready) => {
    const dir = join(root, `killed-${Math.random().toString(36).slice(2)}`);
    const result = await runCli(['package', music, '-o', dir, '--concurrency', '1'], {
      onSpawn: (child) => {
        void (async () => {
          while (!existsSync(dir) || !ready(dir)) await sleep(10);
          child.kill('SIGKILL');
        })();
      },
    });
    expect(result.signal).toBe('SIGKILL');
    const landed = visibleTracks(dir);
    for (const id of landed) expect(existsSync(join(dir, id, 'track.json'))).toBe(true);
    if (existsSync(join(dir, 'catalog.json'))) {
      const listed = readJson<CatalogInfo>(join(dir, 'catalog.json')).tracks.map((t) => t.id);
      for (const id of listed) expect(landed).toContain(id);
    }
    const report = JSON.parse((await runCli(['validate', dir, '--json'])).stdout);
    for (const track of report.tracks) expect(track.errors).toEqual([]);
    expect(report.catalog.errors).toEqual([]);

    const resumed = JSON.parse((await runCli(['package', music, '-o', dir, '--json'])).stdout);
    expect(resumed).toMatchObject({ built: 4 - landed.length, skipped: landed.length, failed: 1 });
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
    expect((await runCli(['validate', dir])).code).toBe(0);
  });
});

describe('hlsaudio validate on hand-damaged output', () => {
  const damaged = (name: string) => {
    const dir = join(root, `damaged-${name}`);
    rmSync(dir, { recursive: true, force: true });
    cpSync(out, dir, { recursive: true });
    return dir;
  };
  const edit = (file: string, change: (text: string) => string) => writeFileSync(file, change(readFileSync(file, 'utf8')));
  const secondRange = (text: string) => /#EXT-X-BYTERANGE:(\d+)\n/.exec(text)!;

  it.each([
    ['a wrong byte range', (dir: string) => edit(join(dir, variantPath(dir, 'vorbis-44k-stereo', 'high', 'playlist')), (t) => t.replace(secondRange(t)[0], `#EXT-X-BYTERANGE:${Number(secondRange(t)[1]) - 7}\n`)), /vorbis-44k-stereo\/high\/playlist\.[0-9a-f]{12}\.m3u8:12 {2}segment 2: byte range \d+@\d+ ends inside a frame/],
    ['a missing segment', (dir: string) => edit(join(dir, variantPath(dir, 'mp3-22k-mono', 'low', 'playlist')), (t) => t.replace(/#EXTINF:[\d.]+,\n#EXT-X-BYTERANGE:\d+\naudio\.[0-9a-f]{12}\.mp3\n/, '')), /mp3-22k-mono\/low\/playlist\.[0-9a-f]{12}\.m3u8 {2}bytes \d+ to \d+ of mp3-22k-mono\/low\/audio\.[0-9a-f]{12}\.mp3 are in no segment \(a segment is missing from the playlist\?\) \[byterange-coverage\]/],
    ['a deleted media file', (dir: string) => unlinkSync(join(dir, variantPath(dir, 'opus-48k-stereo', 'medium', 'file'))), /opus-48k-stereo\/medium\/playlist\.[0-9a-f]{12}\.m3u8 {2}media file opus-48k-stereo\/medium\/audio\.[0-9a-f]{12}\.aac is missing \[media-missing\]/],
    ['a range that skips the ID3 tag', (dir: string) => edit(join(dir, variantPath(dir, 'short-22k-stereo', 'mobile', 'playlist')), (t) => t.replace(/#EXT-X-BYTERANGE:(\d+)@0/, (_, n) => `#EXT-X-BYTERANGE:${Number(n) - 73}@73`)), /segment 1: no ID3 transportStreamTimestamp tag at byte 73/],
    ['an EXT-X-VERSION too low', (dir: string) => edit(join(dir, variantPath(dir, 'vorbis-44k-stereo', 'low', 'playlist')), (t) => t.replace('#EXT-X-VERSION:4', '#EXT-X-VERSION:2')), /vorbis-44k-stereo\/low\/playlist\.[0-9a-f]{12}\.m3u8:2 {2}EXT-X-VERSION 2, but EXT-X-BYTERANGE need version 4/],
    ['an EXTINF that lies', (dir: string) => edit(join(dir, variantPath(dir, 'vorbis-44k-stereo', 'medium', 'playlist')), (t) => t.replace(/#EXTINF:[\d.]+,/, '#EXTINF:5.5,')), /segment 1: EXTINF 5\.5 s, but its frames last 5\.\d+ s \[extinf\]/],
    ['a BANDWIDTH below the peak', (dir: string) => edit(join(dir, 'opus-48k-stereo/master.m3u8'), (t) => t.replace(/BANDWIDTH=\d+,AVERAGE/, 'BANDWIDTH=1000,AVERAGE')), /opus-48k-stereo\/master\.m3u8 {2}high\/playlist\.[0-9a-f]{12}\.m3u8: BANDWIDTH 1000 is below the measured peak segment bit rate/],
    ['a wrong CODECS', (dir: string) => edit(join(dir, 'opus-48k-stereo/master-mp3.m3u8'), (t) => t.replace('mp4a.40.34', 'mp4a.40.2')), /low\/playlist\.[0-9a-f]{12}\.m3u8: CODECS "mp4a\.40\.2", but the media is mp4a\.40\.34/],
    ['a master mixing codec families', (dir: string) => edit(join(dir, 'short-22k-stereo/master.m3u8'), (t) => `${t}${readFileSync(join(dir, 'short-22k-stereo/master-mp3.m3u8'), 'utf8').split('\n').slice(2).join('\n')}`), /the master mixes codec families \(aac, mp3\)/],
    ['a catalog listing a deleted track', (dir: string) => rmSync(join(dir, 'mp3-22k-mono'), { recursive: true }), /catalog\.json {2}lists track "mp3-22k-mono", which has no folder with a track\.json/],
  ])('fails on %s, naming the problem', async (_, damage, expected) => {
    const dir = damaged(_.replace(/\W+/g, '-'));
    damage(dir);
    const result = await runCli(['validate', dir]);
    expect(result.stdout).toMatch(expected);
    expect(result.stdout).toMatch(/INVALID: \d+ tracks, [1-9]\d* errors/);
    expect(result.code).toBe(1);
  });

  it('warns, without failing, of a track the catalog does not list and of leftovers of a killed run', async () => {
    const dir = damaged('warnings');
    const catalog = readJson<CatalogInfo>(join(dir, 'catalog.json'));
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ ...catalog, tracks: catalog.tracks.slice(1) }));
    mkdirSync(join(dir, '.opus-48k-stereo.tmp-0badc0de-99999999-abcd'));
    const result = await runCli(['validate', dir, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: true, errors: 0, warnings: 2 + 4 }); // and the 4 tracks' mixed sample rates
    expect(report.catalog.warnings.map((w: { rule: string }) => w.rule).sort()).toEqual(['catalog', 'leftover']);
  });
});
