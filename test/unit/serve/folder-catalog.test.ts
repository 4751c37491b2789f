import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
