import { clip, HlsaudioError } from '../errors.js';
import type { EventFilters, EventName, ServerEvent } from './protocol.js';

/**
 * Subscription filters. A filter constrains the events that carry its field and leaves the others
 * alone: a `user_id` filter keeps only that user's PlaybackStarted, and still lets ServerMessage
 * through, which concerns no user. `user_id` matches every field naming a user (the sharer and the
 * recipients of a share, both ends of a follow). A filter key no subscribed event carries, or one
 * this table does not know (the spec's example `track_genre`: the catalog has no genres), is refused
 * when subscribing rather than silently matching everything or nothing.
 */
const FILTER_FIELDS = new Map<string, readonly string[]>([
  ['user_id', ['user_id', 'from_user', 'to_users', 'follower_id', 'followed_id']],
  ['track_id', ['track_id']],
  ['playlist_id', ['playlist_id']],
  ['from_user', ['from_user']],
  ['to_user', ['to_users']],
  ['follower_id', ['follower_id']],
  ['followed_id', ['followed_id']],
  ['action', ['action']],
  ['level', ['level']],
]);

/**
 * The filter keys, looked up in a Map: a client's key such as `__proto__`, `constructor` or
 * `toString` is then an unknown key, where `key in object` would find Object.prototype's.
 */
export const FILTER_KEYS: readonly string[] = [...FILTER_FIELDS.keys()];

/** The fields each event carries that a filter can look at (the wire fields of protocol.ts). */
const EVENT_FIELDS: Record<EventName, readonly string[]> = {
  PlaybackStarted: ['track_id', 'user_id'],
  PlaybackPaused: ['track_id', 'user_id'],
  PlaybackResumed: ['track_id', 'user_id'],
  PlaybackStopped: ['track_id', 'user_id'],
  PlaybackProgress: ['track_id', 'user_id'],
  PlaylistUpdated: ['playlist_id', 'action', 'track_id'],
  PlaylistShared: ['playlist_id', 'from_user', 'to_users'],
  TrackLiked: ['track_id', 'user_id'],
  TrackShared: ['track_id', 'from_user', 'to_users'],
  UserFollowed: ['follower_id', 'followed_id'],
  ServerMessage: ['level'],
  RateLimitWarning: [],
  CommandResponse: [],
  QualityChanged: ['track_id', 'user_id'],
  EventsGap: [],
  LiveStats: [],
};

/** Throws, naming `filters.<key>`, when a filter key is unknown or none of `events` carries it. */
export function checkFilters(events: readonly EventName[], filters: EventFilters): void {
  for (const key of Object.keys(filters)) {
    const fields = FILTER_FIELDS.get(key);
    if (fields === undefined) {
      throw new HlsaudioError('E_MESSAGE', `Expected \`filters.${clip(key)}\` to be one of the filters ${FILTER_KEYS.join(', ')}, got an unknown filter`, {
        field: `filters.${clip(key)}`,
      });
    }
    if (!events.some((name) => EVENT_FIELDS[name].some((field) => fields.includes(field)))) {
      throw new HlsaudioError('E_MESSAGE', `filter \`filters.${key}\` can match none of ${events.join(', ')}: they carry no ${fields.join(' or ')} field`, {
        field: `filters.${key}`,
      });
    }
  }
}

/** True when `event` passes every filter that applies to it. */
export function matchesFilters(event: ServerEvent, filters: EventFilters | null): boolean {
  if (!filters) return true;
  const record = event as unknown as Record<string, unknown>;
  for (const key of Object.keys(filters)) {
    const wanted = filters[key];
    const fields = FILTER_FIELDS.get(key) ?? [];
    let carried = false;
    let matched = false;
    for (const field of fields) {
      const value = record[field];
      if (value === undefined || value === null) continue;
      carried = true;
      if (value === wanted || (Array.isArray(value) && value.includes(wanted))) {
        matched = true;
        break;
      }
    }
    if (carried && !matched) return false;
  }
  return true;
}
