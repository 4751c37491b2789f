import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { PLAYLISTS_FILE, PlaylistStore } from '../../../src/realtime/playlists.js';
import { tempDir } from '../../helpers/temp.js';
import { logTo } from '../../../src/log.js';

const options = (log: string[] = []) => ({ maxTracks: 3, maxCount: 2, flushDelayMs: 20, logger: logTo((_level, line) => void log.push(line)) });

test('adds at a position or the end, moves a track already there (Reordered), removes', async () => {
  const store = await PlaylistStore.open(tempDir(), options());
  expect(store.add('p', 'a', null, 'u')).toEqual({ action: 'Added', position: 0, track_count: 1 });
  expect(store.add('p', 'b', null, 'u')).toEqual({ action: 'Added', position: 1, track_count: 2 });
  expect(store.add('p', 'c', 0, 'u')).toEqual({ action: 'Added', position: 0, track_count: 3 });
  expect(store.get('p')?.tracks).toEqual(['c', 'a', 'b']);
  expect(store.add('p', 'b', 0, 'u')).toEqual({ action: 'Reordered', position: 0, track_count: 3 });
  expect(store.get('p')?.tracks).toEqual(['b', 'c', 'a']);
  expect(store.remove('p', 'c', 'u')).toEqual({ action: 'Removed', position: 1, track_count: 2 });
  expect(store.get('p')?.tracks).toEqual(['b', 'a']);
  await store.flush();
});

test('refuses what does not fit, naming the field', async () => {
  const store = await PlaylistStore.open(tempDir(), options());
  const refused = (attempt: () => unknown, code: string, field: string, message: string) => {
    let error: unknown;
    try {
      attempt();
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code, field, message });
  };
  store.add('p', 'a', null, 'owner');
  refused(() => store.add('p', 'b', 2, 'owner'), 'E_PLAYLIST', 'position', 'position 2 is past the end of playlist p: positions go from 0 to 1');
  refused(() => store.add('p', 'a', 1, 'owner'), 'E_PLAYLIST', 'position', 'position 1 is past the end of playlist p: positions go from 0 to 0');
  refused(() => store.add('p', 'b', null, 'someone'), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
  refused(() => store.remove('p', 'a', 'someone'), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
  refused(() => store.remove('q', 'a', 'owner'), 'E_PLAYLIST', 'playlist_id', 'unknown playlist q');
  refused(() => store.remove('p', 'z', 'owner'), 'E_PLAYLIST', 'track_id', 'track z is not in playlist p');
  store.add('p', 'b', null, 'owner');
  store.add('p', 'c', null, 'owner');
  refused(() => store.add('p', 'd', null, 'owner'), 'E_PLAYLIST', 'playlist_id', 'playlist p is full (3 tracks)');
  expect(store.add('p', 'a', null, 'owner')).toEqual({ action: 'Reordered', position: 2, track_count: 3 });
  store.add('q', 'a', null, 'owner');
  refused(() => store.add('r', 'a', null, 'owner'), 'E_PLAYLIST', 'playlist_id', 'cannot create playlist r: the server holds its maximum of 2 playlists');
  expect(store.get('p')?.tracks).toEqual(['b', 'c', 'a']);
  await store.flush();
});

test('changes reach playlists.json within the flush delay and load again', async () => {
  const dir = tempDir();
  const store = await PlaylistStore.open(dir, options());
  store.add('p', 'a', null, 'u');
  store.add('p', 'b', null, 'u');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const saved = JSON.parse(readFileSync(join(dir, PLAYLISTS_FILE), 'utf8'));
  expect(saved).toMatchObject({ schema: 1, playlists: { p: { owner: 'u', tracks: ['a', 'b'] } } });
  const reopened = await PlaylistStore.open(dir, options());
  expect(reopened.get('p')).toMatchObject({ owner: 'u', tracks: ['a', 'b'] });
});

test('a damaged playlists.json stops the start with E_DATA naming the file', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, PLAYLISTS_FILE), '{"schema": 1, "playlists": {"p": {"tracks": 3}}}');
  await expect(PlaylistStore.open(dir, options())).rejects.toMatchObject({ code: 'E_DATA', file: join(dir, PLAYLISTS_FILE), message: expect.stringContaining('playlist p is malformed') });
  writeFileSync(join(dir, PLAYLISTS_FILE), 'not json');
  await expect(PlaylistStore.open(dir, options())).rejects.toMatchObject({ code: 'E_DATA' });
});
