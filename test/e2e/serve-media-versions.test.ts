import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { decode } from '../helpers/media.js';
import { packageFixtures, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Media are `immutable` only under their current version: the served variant playlists add
 * `?v=<inode-size-mtime>` to each media URI, and a rebuild gives new versions, so no cache can pair a
 * new playlist with old bytes kept under the reused file name.
 */
const TRACK = 'short-22k-stereo';
const out = join(tempDir(), 'out');
let server: RunningServer;
const base = () => `http://127.0.0.1:${server.port}/hls/${TRACK}`;
const mediaUri = async (quality: string) => (await (await fetch(`${base()}/${quality}/playlist.m3u8`)).text()).split('\n').find((line) => line.startsWith('audio.'))!;

beforeAll(async () => {
  await packageFixtures(out, [`${TRACK}.wav`]);
  server = await startServe(out);
});
afterAll(() => stopServers());

describe('versioned media URIs', () => {
  it('serves variant playlists whose media URIs carry the media version, while the files on disk stay bare', async () => {
    const uri = await mediaUri('high');
    expect(uri).toMatch(/^audio\.aac\?v=[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
    expect(readFileSync(join(out, TRACK, 'high/playlist.m3u8'), 'utf8')).toMatch(/^audio\.aac$/m);
    const current = await fetch(`${base()}/high/${uri}`, { headers: { Range: 'bytes=0-99' } });
    expect(current.status).toBe(206);
    expect(current.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base()}/high/audio.aac`, { headers: { Range: 'bytes=0-99' } })).headers.get('cache-control')).toBe('public, no-cache');
  });

  it('decodes through ffmpeg\'s HLS demuxer over HTTP with the versioned URIs', async () => {
    const decoded = await decode(`${base()}/master.m3u8`, { sampleRate: 44100, channels: 2 });
    expect(decoded.stderr).toBe('');
    expect(decoded.samples.length / 2 / 44100).toBeCloseTo(2.5, 1);
  });

  it('gives a rebuilt track new versions; the old version is no longer immutable', async () => {
    const before = await mediaUri('mobile');
    const rebuilt = await runCli(['package', join(FIXTURES, `${TRACK}.wav`), '-o', out, '--force', '--quiet']);
    expect(rebuilt.code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the server's file cache (1 s)
    const after = await mediaUri('mobile');
    expect(after).not.toBe(before);
    expect((await fetch(`${base()}/mobile/${before}`, { headers: { Range: 'bytes=0-9' } })).headers.get('cache-control')).toBe('public, no-cache');
    expect((await fetch(`${base()}/mobile/${after}`, { headers: { Range: 'bytes=0-9' } })).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });
});
