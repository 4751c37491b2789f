import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { id3TagLength } from '../../src/hls/id3.js';
import { readMasterPlaylist, readMediaPlaylist } from '../../src/hls/parse.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { decode } from '../helpers/media.js';
import { request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A player holds the playlists of a build while `package --force` rebuilds the track under a running
 * `serve`, each rebuild changing the segmentation (6 s, 4 s, 6 s, 4 s): it must keep getting the bytes
 * of the build its playlists describe, at their offsets, never another build's.
 */
const root = tempDir();
const SOURCE = join(FIXTURES, 'wav-44k-stereo.wav'); // 12 s: two segments at 6 s, three at 4 s
const TRACK = 'wav-44k-stereo';
const LADDER = ['--only', 'high,low'];
let server: RunningServer;
const out = join(root, 'out');

const trackJson = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, id, 'track.json'), 'utf8')) as TrackInfo;
const pkg = async (dir: string, ...flags: string[]) => {
  const result = await runCli(['package', SOURCE, '-o', dir, '--quiet', ...LADDER, ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
};

interface HeldRange {
  /** As the player asks for it: the segment's URI resolved against its playlist's, query and all. */
  path: string;
  /** The media file, relative to the track folder. */
  file: string;
  start: number;
  end: number;
  size: number;
  bytes: Buffer;
}

/** The ranges a player holding the track's masters now would fetch: every segment of every variant, with its bytes on disk now. */
async function holdPlaylists(port: number): Promise<HeldRange[]> {
  const ranges: HeldRange[] = [];
  const track = trackJson(out, TRACK);
  for (const master of track.masters) {
    const text = (await request(port, 'GET', `/hls/${TRACK}/${master.file}`)).body.toString();
    for (const variant of readMasterPlaylist(text).variants) {
      const playlist = await request(port, 'GET', `/hls/${TRACK}/${variant.uri}`);
      expect(playlist.status).toBe(200);
      let next = 0;
      for (const segment of readMediaPlaylist(playlist.body.toString()).segments) {
        const uri = posix.join(posix.dirname(variant.uri), segment.uri);
        const file = uri.split('?')[0]!;
        const media = readFileSync(join(out, TRACK, file));
        const start = segment.offset ?? next;
        next = start + segment.length!;
        ranges.push({ path: `/hls/${TRACK}/${uri}`, file, start, end: next - 1, size: media.length, bytes: media.subarray(start, next) });
      }
    }
  }
  return ranges;
}

/** What went wrong with one answer to a held range, or undefined when it is exactly the held bytes. */
function wrongness(range: HeldRange, answer: { status: number; headers: Record<string, unknown>; body: Buffer }): string | undefined {
  if (answer.status !== 206) return `${range.path} ${range.start}-${range.end}: status ${answer.status} ${answer.body.toString().slice(0, 200)}`;
  if (answer.headers['content-range'] !== `bytes ${range.start}-${range.end}/${range.size}`) return `${range.path}: Content-Range ${String(answer.headers['content-range'])}, expected bytes ${range.start}-${range.end}/${range.size}`;
  if (!(id3TagLength(answer.body, 0)! > 0)) return `${range.path} ${range.start}-${range.end}: does not start with the segment's ID3 tag`;
  if (!answer.body.equals(range.bytes)) return `${range.path} ${range.start}-${range.end}: other bytes than the held playlist's build`;
  return undefined;
}

beforeAll(async () => {
  await pkg(out);
  server = await startServe(out);
});
afterAll(() => stopServers());

describe('a rebuild while a player holds the previous playlists', () => {
  it('keeps answering every held range with the held build\'s bytes during real rebuilds that change the segmentation', async () => {
    const held = await holdPlaylists(server.port);
    expect(held.length).toBe(4); // two variants, two 6 s segments each
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const problems: string[] = [];
    const fetchRange = async (range: HeldRange, what: string) => {
      const answer = await request(server.port, 'GET', range.path, { headers: { Range: `bytes=${range.start}-${range.end}` }, agent });
      const wrong = wrongness(range, answer);
      if (wrong) problems.push(`${what}: ${wrong}`);
    };
    // The player: two requests at a time, round and round the held ranges, until the rebuilds are done.
    let answered = 0;
    let looping = true;
    const loop = async (from: number) => {
      for (let i = from; looping; i += 2, answered++) {
        await fetchRange(held[i % held.length]!, 'held');
        await new Promise((resolve) => setTimeout(resolve, 2)); // leave the rebuild some CPU
      }
    };
    const loops = [loop(0), loop(1)];
    const during: number[] = [];
    const rebuiltMedia = new Set<string>();
    try {
      for (const seconds of ['4', '6', '4']) {
        const before = answered;
        await pkg(out, '--force', '--segment-duration', seconds);
        during.push(answered - before);
        const rebuilt = trackJson(out, TRACK);
        expect(rebuilt.segment_duration_s).toBe(Number(seconds));
        for (const variant of rebuilt.variants) rebuiltMedia.add(variant.file);
        // A player that reloads gets the new build, whole: its ranges are its own bytes.
        for (const range of await holdPlaylists(server.port)) await fetchRange(range, 'reloaded');
      }
    } finally {
      looping = false;
      await Promise.allSettled(loops);
      agent.destroy();
    }
    expect(problems).toEqual([]);
    // The player was fetching while each rebuild ran, and the rebuilds did write other media.
    for (const count of during) expect(count).toBeGreaterThan(20);
    expect([...rebuiltMedia].some((file) => !held.some((range) => range.file === file))).toBe(true);
  });

  it('lists the previous builds\' files as retired for the default grace, and serves them immutable', async () => {
    const track = trackJson(out, TRACK);
    const current = new Set(track.variants.flatMap((variant) => [variant.file, variant.playlist]));
    expect(track.retired!.length).toBeGreaterThanOrEqual(4);
    for (const retired of track.retired!) {
      expect(current.has(retired.file)).toBe(false);
      expect(existsSync(join(out, TRACK, retired.file))).toBe(true);
      const expiresIn = Date.parse(retired.expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(550_000); // previousBuildGraceSec: 600 s from the rebuild
      expect(expiresIn).toBeLessThanOrEqual(600_000);
      const answer = await request(server.port, 'GET', `/hls/${TRACK}/${retired.file}`, { headers: { Range: 'bytes=0-9' } });
      expect(answer.status).toBe(206);
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const validated = await runCli(['validate', out, '--json']);
    expect(JSON.parse(validated.stdout)).toMatchObject({ ok: true, errors: 0, warnings: 0 });
  });

  it('decodes through ffmpeg\'s HLS demuxer over HTTP from the master, with the content-addressed names', async () => {
    const decoded = await decode(`http://127.0.0.1:${server.port}/hls/${TRACK}/master.m3u8`, { sampleRate: 44100, channels: 2 });
    expect(decoded.stderr).toBe('');
    expect(decoded.samples.length / 2 / 44100).toBeCloseTo(12, 1);
  });
});

describe('retired files past their grace', () => {
  it('are kept until they expire, then removed by the next package run, which validate asks for', async () => {
    const dir = join(root, 'grace');
    await pkg(dir);
    const first = trackJson(dir, TRACK);
    await pkg(dir, '--segment-duration', '4', '--previous-build-grace', '3');
    const second = trackJson(dir, TRACK);
    const previous = first.variants.flatMap((variant) => [variant.file, variant.playlist]).sort();
    expect(second.retired!.map((retired) => retired.file)).toEqual(previous);
    for (const file of previous) expect(existsSync(join(dir, TRACK, file))).toBe(true);
    expect(JSON.parse((await runCli(['validate', dir, '--json'])).stdout)).toMatchObject({ ok: true, warnings: 0 });

    const expiry = Math.max(...second.retired!.map((retired) => Date.parse(retired.expires_at)));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiry - Date.now() + 50)));
    const late = JSON.parse((await runCli(['validate', dir, '--json'])).stdout);
    expect(late).toMatchObject({ ok: true, errors: 0, warnings: previous.length });
    expect(late.tracks[0].warnings.map((w: { rule: string }) => w.rule)).toEqual(previous.map(() => 'retired-expired'));

    await pkg(dir, '--segment-duration', '4'); // up to date: nothing built, but the folder is tidied
    for (const file of previous) expect(existsSync(join(dir, TRACK, file))).toBe(false);
    expect(trackJson(dir, TRACK).retired).toEqual([]);
    expect(trackJson(dir, TRACK).build.built_at).toBe(second.build.built_at);
    expect(JSON.parse((await runCli(['validate', dir, '--json'])).stdout)).toMatchObject({ ok: true, errors: 0, warnings: 0 });
  });
});

describe('waveform peaks across a rebuild', () => {
  it('lands the new peaks beside the previous ones, retires those, and serves both names and the fixed route', async () => {
    const dir = join(root, 'peaks');
    const id = 'swapped';
    const build = async (source: string) => {
      const result = await runCli(['package', join(FIXTURES, source), '-o', dir, '--id', id, '--quiet', ...LADDER]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return trackJson(dir, id);
    };
    const first = await build('wav-44k-stereo.wav');
    const second = await build('flac-48k-stereo.flac');
    expect(first.peaks!.file).toMatch(/^peaks\.[0-9a-f]{12}\.json$/);
    expect(second.peaks!.file).toMatch(/^peaks\.[0-9a-f]{12}\.json$/);
    expect(second.peaks!.file).not.toBe(first.peaks!.file);
    expect(second.retired!.map((retired) => retired.file)).toContain(first.peaks!.file);
    const firstBytes = readFileSync(join(dir, id, first.peaks!.file));
    const secondBytes = readFileSync(join(dir, id, second.peaks!.file));
    expect(JSON.parse(firstBytes.toString('utf8')).sample_rate).toBe(44100);
    expect(JSON.parse(secondBytes.toString('utf8')).sample_rate).toBe(48000);
    expect(JSON.parse((await runCli(['validate', dir, '--json'])).stdout)).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    const peaksServer = await startServe(dir);
    for (const [path, bytes, cacheControl] of [
      [`/hls/${id}/${first.peaks!.file}`, firstBytes, 'public, max-age=31536000, immutable'],
      [`/hls/${id}/${second.peaks!.file}`, secondBytes, 'public, max-age=31536000, immutable'],
      [`/hls/${id}/peaks.json`, secondBytes, 'public, no-cache'],
    ] as const) {
      const answer = await request(peaksServer.port, 'GET', path);
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe(cacheControl);
      expect(answer.body.equals(bytes)).toBe(true);
    }
    rmSync(join(dir, id, second.peaks!.file));
    const broken = await runCli(['validate', dir]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`${id}/${second.peaks!.file}  the waveform peaks listed in track.json are missing [missing-file]`);
  });
});
