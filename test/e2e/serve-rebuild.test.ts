import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
});
