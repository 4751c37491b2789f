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

describe('FolderCatalog: one snapshot of the catalog', () => {
  it('answers summaries and track.json from the same catalog, and moves to a new one only when catalog.json changes', async () => {
    const out = tempDir();
    writeTrack(out, 'song', 'Old title');
    await rebuildCatalog(out);
    // A file cache that would keep its look at track.json for a minute: the snapshot must not depend on it.
    const files = await FileCache.create(out, { ttlMs: 60_000, capacity: 100 });
    const catalog = await FolderCatalog.open(files, { refreshMs: 0, capacity: 10 });
    expect(catalog.get('song')).toEqual({ title: 'Old title', artist: null, duration_ms: 1000, default_quality: 'high' });
    expect((await catalog.getTrack('song'))?.title).toBe('Old title');

    // A track folder the catalog does not list is no track, for any reader.
    writeTrack(out, 'extra', 'Extra');
    expect(catalog.has('extra')).toBe(false);
    expect(await catalog.getTrack('extra')).toBeUndefined();

    // A rebuild rewrites track.json first: until catalog.json follows, everyone still reads the old build.
    const reordered = [{ ...LADDER.masters[0]!, profiles: ['medium', 'high', 'mobile'] }, LADDER.masters[1]!];
    writeTrack(out, 'song', 'New title', reordered);
    await catalog.refresh();
    expect(catalog.get('song')?.default_quality).toBe('high');
    expect((await catalog.getTrack('song'))?.masters[0]?.profiles[0]).toBe('high');

    // catalog.json rewritten: one new snapshot, in which the summary and track.json agree.
    await rebuildCatalog(out);
    await catalog.refresh();
    expect(catalog.get('song')).toMatchObject({ title: 'New title', default_quality: 'medium' });
    expect(await catalog.getTrack('song')).toMatchObject({ title: 'New title', masters: reordered });
    expect(catalog.has('extra')).toBe(true);
    expect((await catalog.getTrack('extra'))?.title).toBe('Extra');
    catalog.close();
  });
});
