import { realtimeDefaults } from '../defaults.js';
import { optionError } from '../errors.js';
import type { AuthOptions } from './auth.js';

/** The numeric limits of `realtimeDefaults`, each overridable by an option of the same name. */
export interface RealtimeLimits {
  wsMaxMessageBytes: number;
  wsMaxPayloadBytes: number;
  wsMaxConnections: number;
  wsMaxConnectionsPerAddress: number;
  wsMaxConnectionsPerUser: number;
  wsRetryAfterSec: number;
  wsMaxBufferedBytes: number;
  wsCloseTimeoutMs: number;
  wsHeartbeatIntervalMs: number;
  wsIdleTimeoutMs: number;
  wsCommandRatePerSec: number;
  wsCommandBurst: number;
  wsRateLimitWarnRemaining: number;
  wsFloodCloseAfterDrops: number;
  wsFloodWindowMs: number;
  wsShutdownTimeoutMs: number;
  liveStatsIntervalMs: number;
  liveStatsTopTracks: number;
  playlistMaxTracks: number;
  playlistMaxCount: number;
  playlistMaxPerUser: number;
  playlistMaxPerAddress: number;
  eventsMaxBodyBytes: number;
  eventsMaxBatch: number;
}

export interface RealtimeOptions extends Partial<RealtimeLimits>, AuthOptions {
  /** The upgrade path (default `/api/ws`). */
  wsPath?: string;
  /** Where the router mounts the publish endpoint (default `/api/events`); used in messages. */
  eventsPath?: string;
}

export interface ResolvedRealtimeOptions extends RealtimeLimits, AuthOptions {
  wsPath: string;
  eventsPath: string;
  eventsPublishScope: string;
  eventsReadAllScope: string;
}

/** Limits that must be at least 1; the others may be 0, which disables them where the defaults say so. */
const POSITIVE: ReadonlySet<keyof RealtimeLimits> = new Set([
  'wsMaxMessageBytes',
  'wsMaxPayloadBytes',
  'wsMaxBufferedBytes',
  'wsCommandRatePerSec',
  'wsCommandBurst',
  'wsFloodWindowMs',
  'liveStatsTopTracks',
  'playlistMaxTracks',
  'playlistMaxCount',
  'eventsMaxBodyBytes',
  'eventsMaxBatch',
]);

/** Merges options over `realtimeDefaults`; a bad value throws E_OPTION naming the option. */
export function resolveRealtimeOptions(options: RealtimeOptions = {}): ResolvedRealtimeOptions {
  const resolved = { ...realtimeDefaults, ...withoutUndefined(options) } as unknown as ResolvedRealtimeOptions;
  for (const key of Object.keys(realtimeDefaults) as (keyof typeof realtimeDefaults)[]) {
    const value = resolved[key as keyof RealtimeLimits];
    if (typeof realtimeDefaults[key] !== 'number') continue;
    const minimum = POSITIVE.has(key as keyof RealtimeLimits) ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) {
      throw optionError(key, minimum === 1 ? 'a number > 0' : 'a number >= 0 (0 disables it)', value);
    }
  }
  if (resolved.wsMaxMessageBytes > resolved.wsMaxPayloadBytes) {
    throw optionError('wsMaxMessageBytes', `at most wsMaxPayloadBytes (${resolved.wsMaxPayloadBytes})`, resolved.wsMaxMessageBytes);
  }
  if (typeof resolved.wsPath !== 'string' || !resolved.wsPath.startsWith('/')) throw optionError('wsPath', 'a path starting with /', resolved.wsPath);
  return resolved;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
