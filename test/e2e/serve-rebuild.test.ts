import { cpSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHlsServer, type HlsServer } from '../../src/serve/server.js';
import { packageFixtures, request } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A track rebuilt while it is served: `package` replaces the folders by rename, and the server keeps
 * what it knows of a file (size, ETag) for fileCacheTtlMs. Here that is a minute, so that the window
 * in which the server's knowledge is stale is certain, not a race.
 */
const out = join(tempDir(), 'out');
const TRACK = 'short-22k-stereo';
let hls: HlsServer;
let port: number;

const get = (path: string, headers: Record<string, string> = {}) => request(port, 'GET', path, { headers });
/** The strong validator serve gives a file: inode, size and mtime. */
function etagOf(relative: string): string {
  const stats = statSync(join(out, TRACK, relative));
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

/** Replaces `<track>/<variant>` by a copy of another variant's folder, as a rebuild does: a new folder renamed into place. */
function rebuildVariant(variant: string, from: string): void {
  cpSync(join(out, TRACK, from), join(out, TRACK, `${variant}.new`), { recursive: true });
  renameSync(join(out, TRACK, variant), join(out, TRACK, `.${variant}.old`));
  renameSync(join(out, TRACK, `${variant}.new`), join(out, TRACK, variant));
}

beforeAll(async () => {
  await packageFixtures(out, [`${TRACK}.wav`]);
  // Ranges up to 4 KiB are read whole and kept in the range cache; longer ones are streamed.
  hls = await createHlsServer({ root: out, fileCacheTtlMs: 60_000, mediaCacheMaxEntryBytes: 4096 });
  ({ port } = await hls.listen(0, '127.0.0.1'));
});

afterAll(() => hls?.close());

describe('serve: a variant rebuilt within the file cache\'s lifetime', () => {
  it('answers a segment range with the new file\'s bytes under the new file\'s ETag and size, never the old ones', async () => {
    // HEAD: the server now knows the file (size, ETag) but holds no handle on it.
    const before = await request(port, 'HEAD', `/hls/${TRACK}/high/audio.aac`);
    expect(before.status).toBe(200);
    expect(before.headers.etag).toBe(etagOf('high/audio.aac'));
    rebuildVariant('high', 'medium');
    const rebuilt = readFileSync(join(out, TRACK, 'high/audio.aac'));

    const after = await get(`/hls/${TRACK}/high/audio.aac`, { Range: 'bytes=100-199' });
    expect(after.status).toBe(206);
    expect(after.headers.etag).toBe(etagOf('high/audio.aac'));
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.headers['content-range']).toBe(`bytes 100-199/${rebuilt.length}`);
    expect(after.body).toEqual(rebuilt.subarray(100, 200));
    const again = await get(`/hls/${TRACK}/high/audio.aac`, { Range: 'bytes=0-99' });
    expect(again.headers.etag).toBe(after.headers.etag);
    expect(again.body).toEqual(rebuilt.subarray(0, 100));
    // The rebuilt variant's playlist too, its media URIs under the rebuilt file's version.
    const playlist = await get(`/hls/${TRACK}/high/playlist.m3u8`);
    const version = etagOf('high/audio.aac').replace(/"/g, '');
    const written = readFileSync(join(out, TRACK, 'high/playlist.m3u8'), 'utf8');
    expect(playlist.body.toString()).toBe(written.replace(/^audio\.aac$/gm, `audio.aac?v=${version}`));
  });

  it('answers a whole-file download (streamed) with the new file and its ETag', async () => {
    const before = await request(port, 'HEAD', `/hls/${TRACK}/mobile/audio.aac`);
    expect(before.headers.etag).toBe(etagOf('mobile/audio.aac'));
    rebuildVariant('mobile', 'medium');
    const whole = await get(`/hls/${TRACK}/mobile/audio.aac`);
    expect(whole.status).toBe(200);
    expect(whole.headers.etag).toBe(etagOf('mobile/audio.aac'));
    expect(whole.body).toEqual(readFileSync(join(out, TRACK, 'mobile/audio.aac')));
  });
});
