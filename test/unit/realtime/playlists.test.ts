import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect, test } from 'vitest';
import { LEGACY_PLAYLISTS_FILE, PLAYLISTS_DB_FILE, type PlaylistActor, SqlitePlaylistStore } from '../../../src/realtime/playlists.js';
import { tempDir } from '../../helpers/temp.js';
import { logTo } from '../../../src/log.js';

const limits = { maxTracks: 3, maxCount: 2, maxPerUser: 0, maxPerAddress: 0 };
const open = (dir = tempDir(), overrides: Partial<typeof limits> = {}, log: string[] = []) => SqlitePlaylistStore.open(dir, { ...limits, ...overrides }, logTo((_level, line) => void log.push(line)));
const as = (userId: string, address: string | null = null): PlaylistActor => ({ userId, address });

function refused(attempt: () => unknown, code: string, field: string, message: string): void {
  let error: unknown;
  try {
    attempt();
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ code, field, message });
}

test('adds at a position or the end, moves a track already there (Reordered), removes', () => {
  const store = open();
  expect(store.add('p', 'a', null, as('u'))).toEqual({ action: 'Added', position: 0, track_count: 1 });
  expect(store.add('p', 'b', null, as('u'))).toEqual({ action: 'Added', position: 1, track_count: 2 });
  expect(store.add('p', 'c', 0, as('u'))).toEqual({ action: 'Added', position: 0, track_count: 3 });
  expect(store.get('p')?.tracks).toEqual(['c', 'a', 'b']);
  expect(store.add('p', 'b', 0, as('u'))).toEqual({ action: 'Reordered', position: 0, track_count: 3 });
  expect(store.get('p')?.tracks).toEqual(['b', 'c', 'a']);
  expect(store.remove('p', 'c', 'u')).toEqual({ action: 'Removed', position: 1, track_count: 2 });
  expect(store.get('p')?.tracks).toEqual(['b', 'a']);
  expect(store.ownerOf('p')).toBe('u');
  store.close();
});

test('refuses what does not fit, naming the field', () => {
  const store = open();
  store.add('p', 'a', null, as('owner'));
  refused(() => store.add('p', 'b', 2, as('owner')), 'E_PLAYLIST', 'position', 'position 2 is past the end of playlist p: positions go from 0 to 1');
  refused(() => store.add('p', 'a', 1, as('owner')), 'E_PLAYLIST', 'position', 'position 1 is past the end of playlist p: positions go from 0 to 0');
  refused(() => store.add('p', 'b', null, as('someone')), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
  refused(() => store.remove('p', 'a', 'someone'), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
  refused(() => store.remove('q', 'a', 'owner'), 'E_PLAYLIST', 'playlist_id', 'unknown playlist q');
  refused(() => store.remove('p', 'z', 'owner'), 'E_PLAYLIST', 'track_id', 'track z is not in playlist p');
  store.add('p', 'b', null, as('owner'));
  store.add('p', 'c', null, as('owner'));
  refused(() => store.add('p', 'd', null, as('owner')), 'E_PLAYLIST', 'playlist_id', 'playlist p is full (3 tracks)');
  expect(store.add('p', 'a', null, as('owner'))).toEqual({ action: 'Reordered', position: 2, track_count: 3 });
  store.add('q', 'a', null, as('owner'));
  refused(() => store.add('r', 'a', null, as('owner')), 'E_PLAYLIST', 'playlist_id', 'cannot create playlist r: the server holds its maximum of 2 playlists');
  expect(store.get('p')?.tracks).toEqual(['b', 'c', 'a']);
  store.close();
});

test('quotas per user, and per address for users without a verified token', () => {
  const store = open(tempDir(), { maxCount: 100, maxPerUser: 2, maxPerAddress: 3 });
  store.add('u1', 't', null, as('alice', '192.0.2.1'));
  store.add('u2', 't', null, as('alice', '192.0.2.1'));
  refused(() => store.add('u3', 't', null, as('alice', '192.0.2.1')), 'E_QUOTA', 'playlist_id', 'cannot create playlist u3: user alice owns its maximum of 2 playlists; empty one to free its place');
  // Adding to one she owns is not a creation.
  expect(store.add('u1', 'u', null, as('alice', '192.0.2.1'))).toMatchObject({ action: 'Added' });
  store.add('a1', 't', null, as('bob', '192.0.2.1'));
  refused(
    () => store.add('a2', 't', null, as('carol', '192.0.2.1')),
    'E_QUOTA',
    'playlist_id',
    'cannot create playlist a2: connections from this address without a token created their maximum of 3 playlists',
  );
  // A verified user behind the same address is counted as that user only.
  expect(store.add('v1', 't', null, as('dave', null))).toMatchObject({ action: 'Added' });
  // Emptying a playlist deletes it and frees its place.
  store.remove('u2', 't', 'alice');
  expect(store.get('u2')).toBeUndefined();
  expect(store.add('u3', 't', null, as('alice', '192.0.2.1'))).toMatchObject({ action: 'Added' });
  store.close();
});

test('every change is in playlists.db at once; an emptied playlist does not come back', () => {
  const dir = tempDir();
  const store = open(dir);
  store.add('p', 'a', null, as('u'));
  store.add('p', 'b', null, as('u'));
  store.add('e', 'a', null, as('u'));
  store.remove('e', 'a', 'u');
  // Read by another connection while the store is open: committed, not waiting for a flush.
  const reader = new DatabaseSync(join(dir, PLAYLISTS_DB_FILE), { readOnly: true });
  expect(reader.prepare('SELECT id, owner, tracks FROM playlists ORDER BY id').all()).toEqual([{ id: 'p', owner: 'u', tracks: '["a","b"]' }]);
  reader.close();
  store.close();
  const reopened = open(dir);
  expect(reopened.get('p')).toMatchObject({ owner: 'u', tracks: ['a', 'b'] });
  expect(reopened.get('e')).toBeUndefined();
  expect(reopened.size).toBe(1);
  reopened.close();
});

test('the playlists.json of an earlier hlsaudio is moved in once, empty playlists left behind, and renamed aside', () => {
  const dir = tempDir();
  const legacy = join(dir, LEGACY_PLAYLISTS_FILE);
  writeFileSync(legacy, JSON.stringify({ schema: 1, playlists: { road: { owner: 'u', tracks: ['a', 'b'], updated_at: '2025-01-02T03:04:05.000Z' }, empty: { owner: 'u', tracks: [], updated_at: '' } } }));
  const log: string[] = [];
  const store = open(dir, {}, log);
  expect(store.get('road')).toEqual({ owner: 'u', tracks: ['a', 'b'], updated_at: '2025-01-02T03:04:05.000Z' });
  expect(store.get('empty')).toBeUndefined();
  expect(existsSync(legacy)).toBe(false);
  expect(JSON.parse(readFileSync(`${legacy}.migrated`, 'utf8')).playlists.road.tracks).toEqual(['a', 'b']);
  expect(log).toEqual([`realtime: moved 1 playlists from ${LEGACY_PLAYLISTS_FILE} into ${PLAYLISTS_DB_FILE} (the old file is kept as ${LEGACY_PLAYLISTS_FILE}.migrated)`]);
  store.close();
});

test('a damaged playlists.json stops the start with E_DATA naming the file, and stays', () => {
  const dir = tempDir();
  const legacy = join(dir, LEGACY_PLAYLISTS_FILE);
  writeFileSync(legacy, '{"schema": 1, "playlists": {"p": {"tracks": 3}}}');
  expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'E_DATA', file: legacy, message: expect.stringContaining('playlist p is malformed') }));
  writeFileSync(legacy, 'not json');
  expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'E_DATA' }));
  expect(existsSync(legacy)).toBe(true);
});

test('a playlists.db that is not one stops the start with E_DATA', () => {
  const dir = tempDir();
  writeFileSync(join(dir, PLAYLISTS_DB_FILE), 'not a database, but long enough to look like a file header of some kind........');
  expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'E_DATA', message: expect.stringContaining('not a playlists database hlsaudio can use') }));
});
