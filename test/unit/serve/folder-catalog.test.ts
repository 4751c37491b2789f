import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA_VERSION, type TrackInfo } from '../../../src/catalog/schema.js';
import { rebuildCatalog } from '../../../src/catalog/store.js';
import { FileCache } from '../../../src/serve/file-cache.js';
import { FolderCatalog } from '../../../src/serve/folder-catalog.js';
import { fakeTrack, LADDER } from '../../helpers/ladder.js';
import { tempDir } from '../../helpers/temp.js';

function writeTrack(out: string, id: string, title: string, masters = LADDER.masters): void {
  mkdirSync(join(out, id), { recursive: true });
  const track = { ...fakeTrack(id), schema: SCHEMA_VERSION, title, artist: null, album: null, duration_ms: 1000, masters } as TrackInfo;
  writeFileSync(join(out, id, 'track.json'), JSON.stringify(track));
}

describe('FolderCatalog: one store of the catalog for every reader', () => {
  it('lists what catalog.json lists; Play\'s summary and the sessions\' track.json are the same build', async () => {
    const out = tempDir();
    writeTrack(out, 'song', 'Old title');
    await rebuildCatalog(out);
    const files = await FileCache.create(out, { ttlMs: 0, capacity: 100 });
    const catalog = await FolderCatalog.open(files, { refreshMs: 0, capacity: 10 });
    expect(catalog.get('song')).toEqual({ title: 'Old title', artist: null, duration_ms: 1000, default_quality: 'high' });

    // A track folder the catalog does not list is no track, for any reader.
    writeTrack(out, 'extra', 'Extra');
    expect(catalog.has('extra')).toBe(false);
    expect(catalog.get('extra')).toBeUndefined();
    expect(await catalog.getTrack('extra')).toBeUndefined();

    // A rebuild commits with track.json, before catalog.json follows: once the sessions read the new
    // build, Play's summary is that build's too (two stores on their own clocks disagreed here).
    const reordered = [{ ...LADDER.masters[0]!, profiles: ['medium', 'high', 'mobile'] }, LADDER.masters[1]!];
    writeTrack(out, 'song', 'New title', reordered);
    expect((await catalog.getTrack('song'))?.masters[0]?.profiles[0]).toBe('medium');
    expect(catalog.get('song')).toMatchObject({ title: 'New title', default_quality: 'medium' });

    await rebuildCatalog(out);
    await catalog.refresh();
    expect(catalog.has('extra')).toBe(true);
    expect((await catalog.getTrack('extra'))?.title).toBe('Extra');
    catalog.close();
  });

  describe('trackFileAtHand: the hot path of a segment request, without waiting', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('answers what trackFile answers once its lookups are cached, and nothing when one is missing, expired, forgotten or another build', async () => {
      vi.useFakeTimers({ toFake: ['performance'] });
      const out = tempDir();
      writeTrack(out, 'song', 'Song');
      writeFileSync(join(out, 'song', 'master.m3u8'), '#EXTM3U\n');
      await rebuildCatalog(out);
      const files = await FileCache.create(out, { ttlMs: 1000, capacity: 100 });
      const catalog = await FolderCatalog.open(files, { refreshMs: 0, capacity: 10 });

      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toBeUndefined(); // nothing looked up yet
      const found = await catalog.trackFile('song', 'master.m3u8');
      expect(found?.file?.size).toBe(8);
      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toEqual(found);
      expect(files.peek('song/master.m3u8')).toBe(found?.file);
      // Listed, but never looked up; not listed; not a listed track.
      expect(catalog.trackFileAtHand('song', 'master-mp3.m3u8')).toBeUndefined();
      expect(catalog.trackFileAtHand('song', 'track.json')).toBeUndefined();
      expect(catalog.trackFileAtHand('other', 'master.m3u8')).toBeUndefined();

      // Past the file cache's lifetime, the file is looked at again before it is answered.
      vi.advanceTimersByTime(1001);
      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toBeUndefined();
      await catalog.trackFile('song', 'master.m3u8');
      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toBeDefined();
      files.forget(['song']); // as a route does on E_FILE_CHANGED
      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toBeUndefined();

      // A rebuild: the new track.json is seen by trackFile, and only then at hand.
      await catalog.trackFile('song', 'master.m3u8');
      writeTrack(out, 'song', 'Rebuilt');
      files.forget(['song', 'track.json']);
      expect(catalog.trackFileAtHand('song', 'master.m3u8')).toBeUndefined();
      const rebuilt = await catalog.trackFile('song', 'master.m3u8');
      expect(rebuilt?.track.title).toBe('Rebuilt');
      expect(catalog.trackFileAtHand('song', 'master.m3u8')?.track.title).toBe('Rebuilt');
      catalog.close();
    });
  });
});
