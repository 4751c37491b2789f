import { expect, test } from 'vitest';
import { checkFilters, FILTER_KEYS, matchesFilters } from '../../../src/realtime/filters.js';
import type { ServerEvent } from '../../../src/realtime/protocol.js';

const started = (user_id: string, track_id = 't1'): ServerEvent => ({ event: 'PlaybackStarted', track_id, user_id, timestamp: 1 });

test('a user_id filter keeps that user\'s events and drops the others', () => {
  expect(matchesFilters(started('u1'), { user_id: 'u1' })).toBe(true);
  expect(matchesFilters(started('u2'), { user_id: 'u1' })).toBe(false);
  expect(matchesFilters(started('u2'), null)).toBe(true);
});

test('user_id matches every field naming a user', () => {
  const shared: ServerEvent = { event: 'TrackShared', track_id: 't', from_user: 'a', to_users: ['b', 'c'], message: null };
  const followed: ServerEvent = { event: 'UserFollowed', follower_id: 'a', followed_id: 'b' };
  expect(matchesFilters(shared, { user_id: 'a' })).toBe(true);
  expect(matchesFilters(shared, { user_id: 'c' })).toBe(true);
  expect(matchesFilters(shared, { user_id: 'd' })).toBe(false);
  expect(matchesFilters(followed, { user_id: 'b' })).toBe(true);
  expect(matchesFilters(followed, { user_id: 'z' })).toBe(false);
  expect(matchesFilters(shared, { to_user: 'b' })).toBe(true);
  expect(matchesFilters(shared, { to_user: 'a' })).toBe(false);
});

test('a filter leaves alone the events that do not carry its field', () => {
  const message: ServerEvent = { event: 'ServerMessage', message: 'hi', level: 'Info' };
  expect(matchesFilters(message, { user_id: 'u1' })).toBe(true);
  expect(matchesFilters(message, { level: 'Warning' })).toBe(false);
  const cleared: ServerEvent = { event: 'PlaylistUpdated', playlist_id: 'p', action: 'Cleared', track_id: null, position: null };
  expect(matchesFilters(cleared, { track_id: 't1' })).toBe(true);
  expect(matchesFilters(cleared, { playlist_id: 'q' })).toBe(false);
});

test('every filter must hold', () => {
  expect(matchesFilters(started('u1', 't1'), { user_id: 'u1', track_id: 't1' })).toBe(true);
  expect(matchesFilters(started('u1', 't2'), { user_id: 'u1', track_id: 't1' })).toBe(false);
});

test('checkFilters refuses unknown keys and keys no subscribed event carries', () => {
  expect(() => checkFilters(['PlaybackStarted'], { user_id: 'u', track_id: 't' })).not.toThrow();
  expect(() => checkFilters(['PlaybackStarted'], { track_genre: 'electronic' })).toThrow(
    `Expected \`filters.track_genre\` to be one of the filters ${FILTER_KEYS.join(', ')}, got an unknown filter`,
  );
  expect(() => checkFilters(['LiveStats', 'ServerMessage'], { user_id: 'u' })).toThrow(
    'filter `filters.user_id` can match none of LiveStats, ServerMessage: they carry no user_id or from_user or to_users or follower_id or followed_id field',
  );
  expect(() => checkFilters(['LiveStats', 'PlaybackStarted'], { user_id: 'u' })).not.toThrow();
});

test('keys of Object.prototype are unknown filters (issue 9: they crashed Subscribe)', () => {
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const filters: Record<string, string> = Object.create(null);
    filters[key] = 'x';
    expect(() => checkFilters(['PlaybackStarted'], filters)).toThrow(expect.objectContaining({ code: 'E_MESSAGE', field: `filters.${key}` }));
    expect(matchesFilters(started('u1', 't1'), filters)).toBe(true);
  }
});
