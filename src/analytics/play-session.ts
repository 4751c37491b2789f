import { Coverage } from './coverage.js';
import { creditedListeningMs, type ProgressRules } from './listened-time.js';
import type { EndReason, Platform, PlaySessionRecord } from './types.js';
import type { CheckedStart } from './validate.js';

/** A `play_sessions` row as node:sqlite returns it. */
export interface PlaySessionRow {
  id: number;
  session_id: string;
  user_id: string | null;
  track_id: string;
  ip: string;
  user_agent: string | null;
  platform: string;
  referrer: string | null;
  duration_ms: number;
  start_quality: string;
  quality: string;
  started_at_ms: number;
  last_seen_at_ms: number;
  last_progress_at_ms: number;
  position_ms: number;
  listened_ms: number;
  covered_ms: number;
  covered_ranges: string;
  quality_listened_ms: string;
  progress_updates: number;
  buffer_health_sum: number;
  buffer_health_reports: number;
  quality_switches: number;
  rebuffers: number;
  rebuffer_ms: number;
  ended_at_ms: number | null;
  end_reason: string | null;
  completed: number;
}

/** What a play is started with, checked (validate.ts), with its id and start. */
export interface PlaySessionIdentity extends Omit<CheckedStart, 'quality' | 'startPositionMs'> {
  sessionId: string;
  startQuality: string;
  startedAtMs: number;
}

/**
 * One play in memory: who, what, and the running totals that each progress report, switch and
 * rebuffer moves. The store writes a snapshot of it with each batch that touches it.
 */
export class PlaySession {
  /** The row's id once the play is in the database. */
  key: number | undefined;
  readonly identity: PlaySessionIdentity;
  quality: string;
  lastSeenAtMs: number;
  lastProgressAtMs: number;
  positionMs: number;
  listenedMs = 0;
  coverage = new Coverage();
  qualityListenedMs = new Map<string, number>();
  progressUpdates = 0;
  bufferHealthSum = 0;
  bufferHealthReports = 0;
  qualitySwitches = 0;
  rebuffers = 0;
  rebufferMs = 0;
  endedAtMs: number | undefined;
  endReason: EndReason | undefined;
  completed = false;

  constructor(identity: PlaySessionIdentity, startPositionMs: number) {
    this.identity = identity;
    this.quality = identity.startQuality;
    this.lastSeenAtMs = identity.startedAtMs;
    this.lastProgressAtMs = identity.startedAtMs;
    this.positionMs = startPositionMs;
  }

  static fromRow(row: PlaySessionRow): PlaySession {
    const session = new PlaySession({
      sessionId: row.session_id,
      userId: row.user_id,
      trackId: row.track_id,
      ip: row.ip,
      userAgent: row.user_agent,
      platform: row.platform as Platform,
      referrer: row.referrer,
      durationMs: row.duration_ms,
      startQuality: row.start_quality,
      startedAtMs: row.started_at_ms,
    }, row.position_ms);
    session.key = row.id;
    session.quality = row.quality;
    session.lastSeenAtMs = row.last_seen_at_ms;
    session.lastProgressAtMs = row.last_progress_at_ms;
    session.listenedMs = row.listened_ms;
    session.coverage = Coverage.fromJson(row.covered_ranges);
    session.qualityListenedMs = new Map(Object.entries(JSON.parse(row.quality_listened_ms) as Record<string, number>));
    session.progressUpdates = row.progress_updates;
    session.bufferHealthSum = row.buffer_health_sum;
    session.bufferHealthReports = row.buffer_health_reports;
    session.qualitySwitches = row.quality_switches;
    session.rebuffers = row.rebuffers;
    session.rebufferMs = row.rebuffer_ms;
    session.endedAtMs = row.ended_at_ms ?? undefined;
    session.endReason = (row.end_reason as EndReason | null) ?? undefined;
    session.completed = row.completed === 1;
    return session;
  }

  get ended(): boolean {
    return this.endedAtMs !== undefined;
  }

  /**
   * A progress report; returns the listening it is credited with (listened-time.ts). Positions past
   * the end count as the end: players report the length of what they decoded, which can exceed the
   * catalog's duration by a frame or so.
   */
  progress(positionMs: number, bufferHealth: number | null, atMs: number, rules: ProgressRules): number {
    const position = Math.min(positionMs, this.identity.durationMs);
    const credited = creditedListeningMs(this.positionMs, position, atMs - this.lastProgressAtMs, rules);
    if (credited > 0) {
      this.listenedMs += credited;
      this.coverage.add(position - credited, position);
      this.qualityListenedMs.set(this.quality, (this.qualityListenedMs.get(this.quality) ?? 0) + credited);
    }
    this.positionMs = position;
    this.lastProgressAtMs = atMs;
    this.lastSeenAtMs = atMs;
    this.progressUpdates += 1;
    if (bufferHealth !== null) {
      this.bufferHealthSum += bufferHealth;
      this.bufferHealthReports += 1;
    }
    return credited;
  }

  switchQuality(to: string, atMs: number): void {
    this.quality = to;
    this.qualitySwitches += 1;
    this.lastSeenAtMs = atMs;
  }

  rebuffer(durationMs: number, atMs: number): void {
    this.rebuffers += 1;
    this.rebufferMs += durationMs;
    this.lastSeenAtMs = atMs;
  }

  end(atMs: number, reason: EndReason, completionRatio: number): void {
    this.endedAtMs = atMs;
    this.endReason = reason;
    this.completed = this.coverage.totalMs >= completionRatio * this.identity.durationMs;
  }

  toRecord(): PlaySessionRecord {
    const { identity } = this;
    const covered = this.coverage.totalMs;
    return {
      session_id: identity.sessionId,
      user_id: identity.userId,
      track_id: identity.trackId,
      ip: identity.ip,
      user_agent: identity.userAgent,
      platform: identity.platform,
      referrer: identity.referrer,
      duration_ms: identity.durationMs,
      start_quality: identity.startQuality,
      quality: this.quality,
      started_at: new Date(identity.startedAtMs).toISOString(),
      last_seen_at: new Date(this.lastSeenAtMs).toISOString(),
      ended_at: this.endedAtMs === undefined ? null : new Date(this.endedAtMs).toISOString(),
      end_reason: this.endReason ?? null,
      position_ms: this.positionMs,
      listened_ms: this.listenedMs,
      covered_ms: covered,
      completion: roundRatio(covered / identity.durationMs),
      completed: this.completed,
      progress_updates: this.progressUpdates,
      average_buffer_health: this.bufferHealthReports === 0 ? null : roundHealth(this.bufferHealthSum / this.bufferHealthReports),
      quality_switches: this.qualitySwitches,
      rebuffers: this.rebuffers,
      rebuffer_ms: this.rebufferMs,
    };
  }
}

/** Ratios are given to 4 decimals, buffer health to 2: finer digits mean nothing to a reader. */
export function roundRatio(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function roundHealth(value: number): number {
  return Math.round(value * 100) / 100;
}
