import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logTo } from '../../src/log.js';
import { type PlaylistActor, type PlaylistLimits, type PlaylistStore, SqlitePlaylistStore } from '../../src/realtime/playlists.js';
import { RedisPlaylistStore } from '../../src/realtime/redis-playlists.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The PlaylistStore contract, on both stores: the SQLite file of one process and the Redis of
 * `serve --redis` (a real redis-server). Same answers, same refusals, same words. Each test uses its
 * own key prefix on the one redis-server, so tests do not see each other's playlists.
 */
const limits: PlaylistLimits = { maxTracks: 3, maxCount: 2, maxPerUser: 0, maxPerAddress: 0 };
const as = (userId: string, address: string | null = null): PlaylistActor => ({ userId, address });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
const opened: PlaylistStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

let prefixes = 0;
const stores: [string, (overrides?: Partial<PlaylistLimits>) => Promise<PlaylistStore>][] = [
  ['SqlitePlaylistStore', async (overrides = {}) => SqlitePlaylistStore.open(tempDir(), { ...limits, ...overrides }, logTo(() => {}))],
  ['RedisPlaylistStore', async (overrides = {}) => RedisPlaylistStore.connect({ url: redis.url, nodeId: 'contract', keyPrefix: `contract${++prefixes}`, limits: { ...limits, ...overrides } })],
];

async function refused(attempt: Promise<unknown>, code: string, field: string, message: string): Promise<void> {
  await expect(attempt).rejects.toMatchObject({ code, field, message });
}

describe.each(stores)('%s', (_name, make) => {
  const open = async (overrides?: Partial<PlaylistLimits>) => {
    const store = await make(overrides);
    opened.push(store);
    return store;
  };

  test('adds at a position or the end, moves a track already there (Reordered), removes', async () => {
    const store = await open();
    expect(await store.add('p', 'a', null, as('u'))).toEqual({ action: 'Added', position: 0, track_count: 1 });
    expect(await store.add('p', 'b', null, as('u'))).toEqual({ action: 'Added', position: 1, track_count: 2 });
    expect(await store.add('p', 'c', 0, as('u'))).toEqual({ action: 'Added', position: 0, track_count: 3 });
    expect((await store.get('p'))?.tracks).toEqual(['c', 'a', 'b']);
    expect(await store.add('p', 'b', 0, as('u'))).toEqual({ action: 'Reordered', position: 0, track_count: 3 });
    expect((await store.get('p'))?.tracks).toEqual(['b', 'c', 'a']);
    expect(await store.add('p', 'b', 2, as('u'))).toEqual({ action: 'Reordered', position: 2, track_count: 3 });
    expect((await store.get('p'))?.tracks).toEqual(['c', 'a', 'b']);
    expect(await store.remove('p', 'a', 'u')).toEqual({ action: 'Removed', position: 1, track_count: 2 });
    expect(await store.get('p')).toMatchObject({ owner: 'u', tracks: ['c', 'b'], updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(await store.ownerOf('p')).toBe('u');
    expect(await store.ownerOf('nothing')).toBeUndefined();
    expect(await store.get('nothing')).toBeUndefined();
  });

  test('refuses what does not fit, naming the field, and changes nothing then', async () => {
    const store = await open();
    await store.add('p', 'a', null, as('owner'));
    await refused(store.add('p', 'b', 2, as('owner')), 'E_PLAYLIST', 'position', 'position 2 is past the end of playlist p: positions go from 0 to 1');
    await refused(store.add('p', 'a', 1, as('owner')), 'E_PLAYLIST', 'position', 'position 1 is past the end of playlist p: positions go from 0 to 0');
    await refused(store.add('p', 'b', null, as('someone')), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
    await refused(store.remove('p', 'a', 'someone'), 'E_FORBIDDEN', 'playlist_id', 'playlist p belongs to another user');
    await refused(store.remove('q', 'a', 'owner'), 'E_PLAYLIST', 'playlist_id', 'unknown playlist q');
    await refused(store.remove('p', 'z', 'owner'), 'E_PLAYLIST', 'track_id', 'track z is not in playlist p');
    await store.add('p', 'b', null, as('owner'));
    await store.add('p', 'c', null, as('owner'));
    await refused(store.add('p', 'd', null, as('owner')), 'E_PLAYLIST', 'playlist_id', 'playlist p is full (3 tracks)');
    expect(await store.add('p', 'a', null, as('owner'))).toEqual({ action: 'Reordered', position: 2, track_count: 3 });
    await store.add('q', 'a', null, as('owner'));
    await refused(store.add('r', 'a', null, as('owner')), 'E_PLAYLIST', 'playlist_id', 'cannot create playlist r: the server holds its maximum of 2 playlists');
    expect((await store.get('p'))?.tracks).toEqual(['b', 'c', 'a']);
    expect(await store.get('r')).toBeUndefined();
  });

  test('quotas per user, and per address for users without a verified token; an emptied playlist frees its place', async () => {
    const store = await open({ maxCount: 100, maxPerUser: 2, maxPerAddress: 3 });
    await store.add('u1', 't', null, as('alice', '192.0.2.1'));
    await store.add('u2', 't', null, as('alice', '192.0.2.1'));
    await refused(store.add('u3', 't', null, as('alice', '192.0.2.1')), 'E_QUOTA', 'playlist_id', 'cannot create playlist u3: user alice owns its maximum of 2 playlists; empty one to free its place');
    // Adding to one she owns is not a creation.
    expect(await store.add('u1', 'u', null, as('alice', '192.0.2.1'))).toMatchObject({ action: 'Added' });
    await store.add('a1', 't', null, as('bob', '192.0.2.1'));
    await refused(
      store.add('a2', 't', null, as('carol', '192.0.2.1')),
      'E_QUOTA',
      'playlist_id',
      'cannot create playlist a2: connections from this address without a token created their maximum of 3 playlists',
    );
    // A verified user behind the same address is counted as that user only.
    expect(await store.add('v1', 't', null, as('dave', null))).toMatchObject({ action: 'Added' });
    await store.remove('u2', 't', 'alice');
    expect(await store.get('u2')).toBeUndefined();
    // Her place and the address's are free again.
    expect(await store.add('u3', 't', null, as('alice', '192.0.2.1'))).toMatchObject({ action: 'Added' });
    await refused(store.add('u4', 't', null, as('alice', '192.0.2.1')), 'E_QUOTA', 'playlist_id', 'cannot create playlist u4: user alice owns its maximum of 2 playlists; empty one to free its place');
    // A removed id is free for anyone.
    await store.remove('a1', 't', 'bob');
    expect(await store.add('a1', 't', null, as('erin', null))).toMatchObject({ action: 'Added', track_count: 1 });
    expect(await store.ownerOf('a1')).toBe('erin');
  });

  test('changes arriving together, as from several nodes, keep every quota', async () => {
    const store = await open({ maxCount: 1000, maxPerUser: 5, maxTracks: 10 });
    // 20 creations by one user and 30 adds to one playlist, all in flight at once.
    const created = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.add(`race-${i}`, 't', null, as('racer'))));
    expect(created.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    const added = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => store.add('race-full', `t${i}`, null, as('other'))));
    expect(added.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(10);
    expect((await store.get('race-full'))?.tracks).toHaveLength(10);
  });
});

test('Redis: the counters match the playlists, and a user with none leaves no counter behind', async () => {
  const store = await RedisPlaylistStore.connect({ url: redis.url, nodeId: 'contract', keyPrefix: 'counters', limits: { ...limits, maxCount: 10, maxPerAddress: 5 } });
  opened.push(store);
  await store.add('p', 'a', null, as('u', '192.0.2.9'));
  await store.add('p', 'b', null, as('u', '192.0.2.9'));
  await store.add('q', 'a', null, as('v'));
  expect(await redis.admin.hgetall('counters:{playlists}:counts')).toEqual({ all: '2', 'u:u': '1', 'u:v': '1', 'a:192.0.2.9': '1' });
  await store.remove('p', 'a', 'u');
  await store.remove('p', 'b', 'u');
  expect(await redis.admin.hgetall('counters:{playlists}:counts')).toEqual({ all: '1', 'u:v': '1' });
  expect(await redis.admin.exists('counters:{playlists}:p:p', 'counters:{playlists}:t:p')).toBe(0);
  // Playlists are data: nothing of theirs expires.
  expect(await redis.admin.pttl('counters:{playlists}:p:q')).toBe(-1);
  expect(await redis.admin.pttl('counters:{playlists}:t:q')).toBe(-1);
  expect(await store.count()).toBe(1);
});
