import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { createHlsServer, type HlsServer } from '../../src/serve/server.js';
import { packageFixtures, request } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A media file replaced under its name while it is served. `package` never does that (media and
 * variant playlists have content-addressed names; it rewrites only masters and track.json in place),
 * but a folder edited by hand, or written by hlsaudio 0.1, may. The server keeps what it knows of a
 * file (size, ETag) for fileCacheTtlMs: a minute here, so that the window in which that knowledge is
 * stale is certain. It must never send the new bytes under the old validator.
 */
const out = join(tempDir(), 'out');
const TRACK = 'short-22k-stereo';
let hls: HlsServer;
let port: number;
let track: TrackInfo;

const get = (path: string, headers: Record<string, string> = {}) => request(port, 'GET', path, { headers });
/** The strong validator serve gives a file: inode, size and mtime. */
function etagOf(relative: string): string {
  const stats = statSync(join(out, TRACK, relative));
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}
const mediaOf = (quality: string) => track.variants.find((variant) => variant.quality_id === quality)!.file;

/** Puts `bytes` at `relative` as `package` replaces a file: written beside it, renamed over it (a new inode). */
function replace(relative: string, bytes: Buffer | string): void {
  writeFileSync(join(out, TRACK, `${relative}.new`), bytes);
  renameSync(join(out, TRACK, `${relative}.new`), join(out, TRACK, relative));
}

beforeAll(async () => {
  await packageFixtures(out, [`${TRACK}.wav`]);
  track = JSON.parse(readFileSync(join(out, TRACK, 'track.json'), 'utf8')) as TrackInfo;
  // Ranges up to 4 KiB are read whole and kept in the range cache; longer ones are streamed.
  hls = await createHlsServer({ root: out, fileCacheTtlMs: 60_000, mediaCacheMaxEntryBytes: 4096 });
  ({ port } = await hls.listen(0, '127.0.0.1'));
});

afterAll(() => hls?.close());

describe('serve: a media file replaced within the file cache\'s lifetime', () => {
  it('answers a segment range of a media file replaced by hand with the new file\'s bytes under its ETag and size', async () => {
    const path = `/hls/${TRACK}/${mediaOf('high')}`;
    const before = await request(port, 'HEAD', path);
    expect(before.headers.etag).toBe(etagOf(mediaOf('high')));
    replace(mediaOf('high'), readFileSync(join(out, TRACK, mediaOf('medium'))));
    const rebuilt = readFileSync(join(out, TRACK, mediaOf('high')));
    const after = await get(path, { Range: 'bytes=100-199' });
    expect(after.status).toBe(206);
    expect(after.headers.etag).toBe(etagOf(mediaOf('high')));
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.headers['content-range']).toBe(`bytes 100-199/${rebuilt.length}`);
    expect(after.body).toEqual(rebuilt.subarray(100, 200));
    const again = await get(path, { Range: 'bytes=0-99' });
    expect(again.headers.etag).toBe(after.headers.etag);
    expect(again.body).toEqual(rebuilt.subarray(0, 100));
  });

  it('answers a whole-file download (streamed) of a replaced media file with the new file and its ETag', async () => {
    const path = `/hls/${TRACK}/${mediaOf('mobile')}`;
    const before = await request(port, 'HEAD', path);
    expect(before.headers.etag).toBe(etagOf(mediaOf('mobile')));
    replace(mediaOf('mobile'), readFileSync(join(out, TRACK, mediaOf('medium'))));
    const whole = await get(path);
    expect(whole.status).toBe(200);
    expect(whole.headers.etag).toBe(etagOf(mediaOf('mobile')));
    expect(whole.body).toEqual(readFileSync(join(out, TRACK, mediaOf('mobile'))));
  });

  it('changes the head and ranges it kept for a media file (served from memory) once the replaced file is looked at again', async () => {
    // The file info is kept 100 ms here: the cached head and ranges must follow the file when it lapses.
    const quick = await createHlsServer({ root: out, fileCacheTtlMs: 100 });
    try {
      const { port: quickPort } = await quick.listen(0, '127.0.0.1');
      const quickGet = (headers: Record<string, string>) => request(quickPort, 'GET', `/hls/${TRACK}/${mediaOf('low')}`, { headers });
      const old = readFileSync(join(out, TRACK, mediaOf('low')));
      const first = await quickGet({ Range: 'bytes=0-99' });
      const cached = await quickGet({ Range: 'bytes=0-99' });
      expect(cached.status).toBe(206);
      expect(cached.body).toEqual(old.subarray(0, 100));
      const { date: _first, ...firstHeaders } = first.headers;
      const { date: _cached, ...cachedHeaders } = cached.headers;
      expect(cachedHeaders).toEqual(firstHeaders);
      expect(cachedHeaders).toMatchObject({
        'content-type': 'audio/mpeg',
        'cache-control': 'public, max-age=31536000, immutable',
        etag: etagOf(mediaOf('low')),
        'accept-ranges': 'bytes',
        'content-range': `bytes 0-99/${old.length}`,
        'content-length': '100',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      });

      const replacement = Buffer.from(old.subarray(0, 5000)).reverse();
      replace(mediaOf('low'), replacement);
      utimesSync(join(out, TRACK, mediaOf('low')), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
      let after = await quickGet({ Range: 'bytes=0-99' });
      for (let tries = 0; after.headers.etag === first.headers.etag && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = await quickGet({ Range: 'bytes=0-99' });
      }
      expect(after.status).toBe(206);
      expect(after.headers).toMatchObject({ etag: etagOf(mediaOf('low')), 'last-modified': 'Sat, 03 Feb 2001 04:05:06 GMT', 'content-range': 'bytes 0-99/5000', 'x-content-type-options': 'nosniff' });
      expect(after.body).toEqual(replacement.subarray(0, 100));
      // If-Range naming the old file no longer holds: the whole new file.
      const stale = await quickGet({ Range: 'bytes=0-99', 'If-Range': first.headers.etag! });
      expect(stale.status).toBe(200);
      expect(stale.headers['content-length']).toBe('5000');
      expect(stale.body).toEqual(replacement);
      expect((await quickGet({ Range: 'bytes=0-99', 'If-Range': after.headers.etag! })).status).toBe(206);
      // A range the old file had, past the new end: 416 with the new size; one across the end is cut.
      const past = await quickGet({ Range: `bytes=5000-${old.length - 1}` });
      expect(past.status).toBe(416);
      expect(past.headers['content-range']).toBe('bytes */5000');
      expect(past.json()).toMatchObject({ error: 'E_RANGE_NOT_SATISFIABLE' });
      const across = await quickGet({ Range: 'bytes=4990-6000' });
      expect(across.headers['content-range']).toBe('bytes 4990-4999/5000');
      expect(across.body).toEqual(replacement.subarray(4990));
    } finally {
      await quick.close();
    }
  });
});
