/**
 * What the analytics store records and answers. Calls take camelCase arguments (TypeScript); the
 * records it answers are the JSON of `GET /api/analytics/…`, snake_case like every wire format of
 * hlsaudio. Enum values are PascalCase, as the spec's Rust enums serialize (`Platform::Web`).
 */

/** Where a play happens (the spec's `Platform`). */
export const PLATFORMS = ['Web', 'Ios', 'Android', 'Desktop', 'Unknown'] as const;
export type Platform = (typeof PLATFORMS)[number];

import type { QualityChangeReason } from '../streaming/types.js';


/** How a play session ended: by `endPlaySession`, or by the idle sweep (analyticsDefaults.sessionIdleMs). */
export type EndReason = 'Ended' | 'Idle';

/** `startPlaySession`: the spec's `start_play_session(user_id, track_id, ip, user_agent, duration_ms, quality, platform, referrer)`. */
export interface PlaySessionStart {
  userId?: string | undefined;
  trackId: string;
  /** The listener's address, IPv4 or IPv6. */
  ip: string;
  userAgent?: string | undefined;
  /** The track's duration; completion is measured against it. */
  durationMs: number;
  /** The `quality_id` playback starts with. */
  quality: string;
  platform: Platform;
  referrer?: string | undefined;
  /** Where playback starts (a resumed track); 0 when absent. */
  startPositionMs?: number | undefined;
}

/** One play as stored: the row of `play_sessions`, in JSON. */
export interface PlaySessionRecord {
  session_id: string;
  user_id: string | null;
  track_id: string;
  ip: string;
  user_agent: string | null;
  platform: Platform;
  referrer: string | null;
  duration_ms: number;
  start_quality: string;
  quality: string;
  started_at: string;
  last_seen_at: string;
  ended_at: string | null;
  end_reason: EndReason | null;
  position_ms: number;
  listened_ms: number;
  /** Distinct milliseconds of the track heard (replays counted once). */
  covered_ms: number;
  /** covered_ms / duration_ms, 0 to 1. */
  completion: number;
  /** Set when the play ends: covered_ms reached completionRatio of the duration. */
  completed: boolean;
  progress_updates: number;
  average_buffer_health: number | null;
  quality_switches: number;
  rebuffers: number;
  rebuffer_ms: number;
}

/** Plays started within [since, until) (epoch ms); either bound may be absent. */
export interface TimeRange {
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

/** Figures over a set of plays. */
export interface PlayTotals {
  plays: number;
  /** Plays that have ended; completion_rate is over these (an open play may still complete). */
  ended_plays: number;
  completed_plays: number;
  /** completed_plays / ended_plays; null when no play has ended. */
  completion_rate: number | null;
  listened_ms: number;
  /** Mean of every progress report's buffer health (0-100); null when none carried one. */
  average_buffer_health: number | null;
  quality_switches: number;
  rebuffers: number;
  rebuffer_ms: number;
  /** rebuffer_ms / (listened_ms + rebuffer_ms): the share of the listening experience spent stalled. */
  rebuffer_ratio: number | null;
}

/** Listening time by the quality that was playing. */
export interface QualityShare {
  quality: string;
  listened_ms: number;
  /** listened_ms / all listened ms, 0 to 1. */
  share: number;
}

export interface TrackTotals extends PlayTotals {
  track_id: string;
}

/** `GET /api/analytics/summary`. */
export interface AnalyticsSummary {
  generated_at: string;
  since: string | null;
  until: string | null;
  totals: PlayTotals;
  quality_distribution: QualityShare[];
  /** Tracks with at least one play, most played first, at most `limit` of them. */
  tracks: TrackTotals[];
  /** How many tracks have plays in the range (tracks may list fewer). */
  track_count: number;
}

/** `GET /api/analytics/tracks/:id`. */
export interface TrackDetails {
  generated_at: string;
  since: string | null;
  until: string | null;
  track_id: string;
  totals: PlayTotals;
  quality_distribution: QualityShare[];
  platforms: { platform: Platform; plays: number; listened_ms: number }[];
  quality_switches: { from: string; to: string; reason: QualityChangeReason; count: number }[];
  /** The latest plays, newest first. */
  recent_sessions: PlaySessionRecord[];
}
