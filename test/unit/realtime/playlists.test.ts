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

/** What every store does alike (changes, refusals, quotas) is tested on both in test/e2e/playlist-store.test.ts. */
test('every change is in playlists.db at once; an emptied playlist does not come back', async () => {
  const dir = tempDir();
  const store = open(dir);
  await store.add('p', 'a', null, as('u'));
  await store.add('p', 'b', null, as('u'));
  await store.add('e', 'a', null, as('u'));
  await store.remove('e', 'a', 'u');
  // Read by another connection while the store is open: committed, not waiting for a flush.
  const reader = new DatabaseSync(join(dir, PLAYLISTS_DB_FILE), { readOnly: true });
  expect(reader.prepare('SELECT id, owner, tracks FROM playlists ORDER BY id').all()).toEqual([{ id: 'p', owner: 'u', tracks: '["a","b"]' }]);
  reader.close();
  await store.close();
  const reopened = open(dir);
  expect(await reopened.get('p')).toMatchObject({ owner: 'u', tracks: ['a', 'b'] });
  expect(await reopened.get('e')).toBeUndefined();
  expect(reopened.size).toBe(1);
  await reopened.close();
});

test('the playlists.json of an earlier hlsaudio is moved in once, empty playlists left behind, and renamed aside', async () => {
  const dir = tempDir();
  const legacy = join(dir, LEGACY_PLAYLISTS_FILE);
  writeFileSync(legacy, JSON.stringify({ schema: 1, playlists: { road: { owner: 'u', tracks: ['a', 'b'], updated_at: '2025-01-02T03:04:05.000Z' }, empty: { owner: 'u', tracks: [], updated_at: '' } } }));
  const log: string[] = [];
  const store = open(dir, {}, log);
  expect(await store.get('road')).toEqual({ owner: 'u', tracks: ['a', 'b'], updated_at: '2025-01-02T03:04:05.000Z' });
  expect(await store.get('empty')).toBeUndefined();
  expect(existsSync(legacy)).toBe(false);
  expect(JSON.parse(readFileSync(`${legacy}.migrated`, 'utf8')).playlists.road.tracks).toEqual(['a', 'b']);
  expect(log).toEqual([`realtime: moved 1 playlists from ${LEGACY_PLAYLISTS_FILE} into ${PLAYLISTS_DB_FILE} (the old file is kept as ${LEGACY_PLAYLISTS_FILE}.migrated)`]);
  await store.close();
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
