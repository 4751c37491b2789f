import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { timestampTag } from '../../../src/hls/id3.js';
import { formatMediaPlaylist } from '../../../src/hls/playlist.js';
import { type FileInfo, fileInfo } from '../../../src/serve/file-cache.js';
import { buildFrameView, frameViewBody } from '../../../src/serve/progressive.js';
import { openFdsUnder } from '../../helpers/fds.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir();
const openFds = () => openFdsUnder(`${dir}/`);

/** What the file cache would say of the file now. */
function info(path: string): FileInfo {
  return fileInfo(path, statSync(path));
}

describe('the frame-only view of a variant', () => {
  // Three "segments" whose frames are letters, each behind an ID3 timestamp tag.
  const frames = ['AAAAAAAAAA', 'BBBBBBBBBBBB', 'CCCCC'];
  const parts = frames.map((payload, index) => Buffer.concat([timestampTag(index * 540000), Buffer.from(payload)]));
  const media = join(dir, 'audio.aac');
  writeFileSync(media, Buffer.concat(parts));
  const playlistOf = (uri: string) => {
    let offset = 0;
    return formatMediaPlaylist(
      parts.map((part) => {
        const segment = { uri, offset, length: part.length, durationSec: 6 };
        offset += part.length;
        return segment;
      }),
    );
  };
  const playlist = playlistOf('audio.aac');
  const playlistFile = join(dir, 'playlist.m3u8');
  writeFileSync(playlistFile, playlist);

  it('leaves out every segment\'s ID3 tag and keeps every frame byte, in order', async () => {
    const view = await buildFrameView(playlist, info(media), info(playlistFile), 'audio.aac');
    expect(view.size).toBe(27);
    expect(await text(await frameViewBody(info(media), view, 4)(0, view.size - 1))).toBe(frames.join(''));
  });

  it('serves any range of the view, across pieces and within one', async () => {
    const view = await buildFrameView(playlist, info(media), info(playlistFile), 'audio.aac');
    const body = frameViewBody(info(media), view, 3);
    expect(await text(await body(8, 12))).toBe('AABBB');
    expect(await text(await body(20, 26))).toBe('BBCCCCC');
    expect(await text(await body(23, 23))).toBe('C');
  });

  it('reads segment URIs with a cache-busting query as the media file itself', async () => {
    const busted = playlistOf('audio.aac?v=0123456789');
    expect(busted).toContain('\naudio.aac?v=0123456789\n');
    const view = await buildFrameView(busted, info(media), info(playlistFile), 'audio.aac');
    expect(await text(await frameViewBody(info(media), view, 4)(0, view.size - 1))).toBe(frames.join(''));
  });

  it('refuses a playlist whose segments are not the media file, or whose ranges run past it', async () => {
    await expect(buildFrameView(playlistOf('other.aac?v=0123456789'), info(media), info(playlistFile), 'audio.aac')).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: `${playlistFile}: segment URI "other.aac?v=0123456789" is not the variant's media file "audio.aac"`,
    });
    await expect(buildFrameView(playlist, { ...info(media), size: info(media).size - 1 }, info(playlistFile), 'audio.aac')).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });

  it('closes the media file when the stream ends, and when it is dropped unread (a client gone)', async () => {
    const view = await buildFrameView(playlist, info(media), info(playlistFile), 'audio.aac');
    const before = openFds();
    expect(await text(await frameViewBody(info(media), view, 4)(0, 5))).toBe('AAAAAA');
    const dropped = await frameViewBody(info(media), view, 4)(0, 5);
    expect(openFds()).toBe(before + 1);
    dropped.destroy();
    await sleep(20);
    expect(openFds()).toBe(before);
  });

  it('refuses to read a media file replaced since its info was taken (E_FILE_CHANGED), before any byte', async () => {
    const old = info(media);
    const view = await buildFrameView(playlist, old, info(playlistFile), 'audio.aac');
    const rebuilt = join(dir, 'rebuilt.aac');
    writeFileSync(rebuilt, Buffer.concat(parts));
    renameSync(rebuilt, media); // as `package` replaces a track: a new file by rename
    await expect(frameViewBody(old, view, 4)(0, 3)).rejects.toMatchObject({ code: 'E_FILE_CHANGED' });
    await expect(buildFrameView(playlist, old, info(playlistFile), 'audio.aac')).rejects.toMatchObject({ code: 'E_FILE_CHANGED' });
  });
});
