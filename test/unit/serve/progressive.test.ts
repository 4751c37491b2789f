import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { timestampTag } from '../../../src/hls/id3.js';
import { formatMediaPlaylist } from '../../../src/hls/playlist.js';
import type { FileInfo } from '../../../src/serve/file-cache.js';
import { buildFrameView, frameViewBody } from '../../../src/serve/progressive.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir();

function info(path: string, size: number): FileInfo {
  return { path, size, mtimeMs: 1, etag: '"1-2-3"', lastModified: new Date(1).toUTCString() };
}

describe('the frame-only view of a variant', () => {
  // Three "segments" whose frames are letters, each behind an ID3 timestamp tag.
  const frames = ['AAAAAAAAAA', 'BBBBBBBBBBBB', 'CCCCC'];
  const parts = frames.map((payload, index) => Buffer.concat([timestampTag(index * 540000), Buffer.from(payload)]));
  const media = join(dir, 'audio.aac');
  writeFileSync(media, Buffer.concat(parts));
  const playlistOf = (uri: string) => {
    let at = 0;
    return formatMediaPlaylist(
      parts.map((part) => {
        const segment = { uri, offset: at, length: part.length, durationSec: 6 };
        at += part.length;
        return segment;
      }),
    );
  };
  const playlist = playlistOf('audio.aac');
  const offset = parts.reduce((sum, part) => sum + part.length, 0);

  it('leaves out every segment\'s ID3 tag and keeps every frame byte, in order', async () => {
    const view = await buildFrameView(playlist, info(media, offset), info(join(dir, 'playlist.m3u8'), playlist.length), 'audio.aac');
    expect(view.size).toBe(27);
    expect(await text(frameViewBody(media, view, 4)(0, view.size - 1))).toBe(frames.join(''));
  });

  it('serves any range of the view, across pieces and within one', async () => {
    const view = await buildFrameView(playlist, info(media, offset), info(join(dir, 'playlist.m3u8'), playlist.length), 'audio.aac');
    const body = frameViewBody(media, view, 3);
    expect(await text(body(8, 12))).toBe('AABBB');
    expect(await text(body(20, 26))).toBe('BBCCCCC');
    expect(await text(body(23, 23))).toBe('C');
  });

  it('reads segment URIs with a cache-busting query as the media file itself', async () => {
    const busted = playlistOf('audio.aac?v=0123456789');
    expect(busted).toContain('\naudio.aac?v=0123456789\n');
    const view = await buildFrameView(busted, info(media, offset), info(join(dir, 'playlist.m3u8'), busted.length), 'audio.aac');
    expect(await text(frameViewBody(media, view, 4)(0, view.size - 1))).toBe(frames.join(''));
  });

  it('refuses a playlist whose segments are not the media file, or whose ranges run past it', async () => {
    const playlistFile = join(dir, 'playlist.m3u8');
    await expect(buildFrameView(playlistOf('other.aac?v=0123456789'), info(media, offset), info(playlistFile, 1), 'audio.aac')).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: `${playlistFile}: segment URI "other.aac?v=0123456789" is not the variant's media file "audio.aac"`,
    });
    await expect(buildFrameView(playlist, info(media, offset - 1), info(playlistFile, 1), 'audio.aac')).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});
