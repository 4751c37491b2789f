import { isIP } from 'node:net';
import { TRACK_ID } from '../catalog/track-id.js';
import { fieldError } from '../errors.js';
import { checkId, ID_EXPECTED, isId } from '../ids.js';
import { QUALITY_ID } from '../profiles/load.js';
import { QUALITY_CHANGE_REASONS, type QualityChangeReason } from '../streaming/types.js';
import { PLATFORMS, type Platform } from './types.js';

/**
 * Checks of what callers record. Values come from clients (WebSocket commands, the player page), so
 * each bad one is an E_FIELD error naming the field as the wire spells it, never a crash or a bad
 * row. Fields are named in snake_case, as they travel.
 */
export interface StartLimits {
  maxDurationMs: number;
  maxUserAgentChars: number;
  maxReferrerChars: number;
}

export interface CheckedStart {
  userId: string | null;
  trackId: string;
  ip: string;
  userAgent: string | null;
  platform: Platform;
  referrer: string | null;
  durationMs: number;
  quality: string;
  startPositionMs: number;
}

export function checkStart(start: unknown, limits: StartLimits): CheckedStart {
  if (typeof start !== 'object' || start === null) throw fieldError('play session', 'an object', start);
  const value = start as Record<string, unknown>;
  const userId = value.userId ?? null;
  if (userId !== null && !isId(userId)) throw fieldError('user_id', `absent or ${ID_EXPECTED}`, userId);
  const trackId = checkTrackId(value.trackId);
  if (typeof value.ip !== 'string' || isIP(value.ip) === 0) throw fieldError('ip', 'an IPv4 or IPv6 address', value.ip);
  const platform = value.platform;
  if (typeof platform !== 'string' || !(PLATFORMS as readonly string[]).includes(platform)) {
    throw fieldError('platform', `one of ${PLATFORMS.join(', ')}`, platform);
  }
  const durationMs = value.durationMs;
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 1 || durationMs > limits.maxDurationMs) {
    throw fieldError('duration_ms', `a number of milliseconds from 1 to ${limits.maxDurationMs}`, durationMs);
  }
  const startPositionMs = value.startPositionMs === undefined ? 0 : checkPosition('start_position_ms', value.startPositionMs);
  return {
    userId,
    trackId,
    ip: value.ip,
    userAgent: optionalText('user_agent', value.userAgent, limits.maxUserAgentChars),
    platform: platform as Platform,
    referrer: optionalText('referrer', value.referrer, limits.maxReferrerChars),
    durationMs: Math.round(durationMs),
    quality: checkQuality('quality', value.quality),
    startPositionMs,
  };
}

export function checkTrackId(value: unknown): string {
  if (typeof value !== 'string' || !TRACK_ID.test(value)) {
    throw fieldError('track_id', 'a track id (lower-case letters, digits, - and _, at most 128)', value);
  }
  return value;
}

export function checkSessionId(value: unknown): string {
  return checkId('session_id', value);
}

export function checkQuality(field: string, value: unknown): string {
  if (typeof value !== 'string' || !QUALITY_ID.test(value)) throw fieldError(field, 'a quality_id such as "high"', value);
  return value;
}

/** A playback position; players report fractions of a millisecond, kept to the millisecond. */
export function checkPosition(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw fieldError(field, 'a number of milliseconds, 0 or more', value);
  }
  return Math.round(value);
}

/** The spec's buffer health percentage; absent (null or undefined) when the player has none. */
export function checkBufferHealth(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw fieldError('buffer_health', 'absent or a percentage from 0 to 100', value);
  }
  return value;
}

export function checkRebufferMs(value: unknown, maxMs: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > maxMs) {
    throw fieldError('duration_ms', `a number of milliseconds from 0 to ${maxMs}`, value);
  }
  return Math.round(value);
}

export function checkReason(value: unknown): QualityChangeReason {
  if (typeof value !== 'string' || !(QUALITY_CHANGE_REASONS as readonly string[]).includes(value)) {
    throw fieldError('reason', `one of ${QUALITY_CHANGE_REASONS.join(', ')}`, value);
  }
  return value as QualityChangeReason;
}

/** A free text the client chose (user agent, referrer): cut to its limit rather than refused. */
/** Half of a surrogate pair with no other half: the cut below can make one, and PostgreSQL refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Free text, cut to `maxChars`, that every store can keep: without NUL characters and with U+FFFD in
 * place of a broken surrogate pair (PostgreSQL's text refuses both, and would fail the whole batch).
 */
function optionalText(field: string, value: unknown, maxChars: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw fieldError(field, 'absent or a string', value);
  return value.slice(0, maxChars).replaceAll('\0', '').replace(LONE_SURROGATE, '\uFFFD');
}
