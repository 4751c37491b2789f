import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { PlaySession, type PlaySessionRow, roundHealth, roundRatio } from './play-session.js';
import type { AnalyticsSummary, Platform, PlayTotals, QualityShare, QualitySwitchReason, TimeRange, TrackDetails, TrackTotals } from './types.js';

/**
 * The read side: figures computed by SQLite from one row per play (play_sessions), never from the
 * progress log, so that a summary costs one pass over the plays of the range.
 */

interface TotalsRow {
  plays: number;
  ended_plays: number;
  completed_plays: number;
  listened_ms: number;
  unique_users: number;
  buffer_health_sum: number;
  buffer_health_reports: number;
  quality_switches: number;
  rebuffers: number;
  rebuffer_ms: number;
}

const TOTALS_SELECT = `
  COUNT(*) AS plays,
  COUNT(ended_at_ms) AS ended_plays,
  COALESCE(SUM(completed), 0) AS completed_plays,
  COALESCE(SUM(listened_ms), 0) AS listened_ms,
  COUNT(DISTINCT user_id) AS unique_users,
  COALESCE(SUM(buffer_health_sum), 0) AS buffer_health_sum,
  COALESCE(SUM(buffer_health_reports), 0) AS buffer_health_reports,
  COALESCE(SUM(quality_switches), 0) AS quality_switches,
  COALESCE(SUM(rebuffers), 0) AS rebuffers,
  COALESCE(SUM(rebuffer_ms), 0) AS rebuffer_ms`;

/** A WHERE clause on the plays of a range (and of one track), with its parameters. */
function playFilter(range: TimeRange, trackId?: string): { where: string; params: SQLInputValue[] } {
  const conditions: string[] = [];
  const params: SQLInputValue[] = [];
  if (trackId !== undefined) {
    conditions.push('track_id = ?');
    params.push(trackId);
  }
  if (range.sinceMs !== undefined) {
    conditions.push('started_at_ms >= ?');
    params.push(range.sinceMs);
  }
  if (range.untilMs !== undefined) {
    conditions.push('started_at_ms < ?');
    params.push(range.untilMs);
  }
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}

function totalsOf(row: TotalsRow): PlayTotals {
  const stalledAndPlayed = row.listened_ms + row.rebuffer_ms;
  return {
    plays: row.plays,
    ended_plays: row.ended_plays,
    completed_plays: row.completed_plays,
    completion_rate: row.ended_plays === 0 ? null : roundRatio(row.completed_plays / row.ended_plays),
    listened_ms: row.listened_ms,
    unique_users: row.unique_users,
    average_buffer_health: row.buffer_health_reports === 0 ? null : roundHealth(row.buffer_health_sum / row.buffer_health_reports),
    quality_switches: row.quality_switches,
    rebuffers: row.rebuffers,
    rebuffer_ms: row.rebuffer_ms,
    rebuffer_ratio: stalledAndPlayed === 0 ? null : roundRatio(row.rebuffer_ms / stalledAndPlayed),
  };
}

function qualityDistribution(db: DatabaseSync, range: TimeRange, trackId?: string): QualityShare[] {
  const { where, params } = playFilter(range, trackId);
  const rows = db
    .prepare(
      `SELECT quality.key AS quality, SUM(quality.value) AS listened_ms
       FROM play_sessions, json_each(play_sessions.quality_listened_ms) AS quality ${where}
       GROUP BY quality.key ORDER BY listened_ms DESC, quality.key`,
    )
    .all(...params) as { quality: string; listened_ms: number }[];
  const total = rows.reduce((sum, row) => sum + row.listened_ms, 0);
  return rows.map((row) => ({ quality: row.quality, listened_ms: row.listened_ms, share: roundRatio(row.listened_ms / total) }));
}

function rangeJson(range: TimeRange): { since: string | null; until: string | null } {
  return {
    since: range.sinceMs === undefined ? null : new Date(range.sinceMs).toISOString(),
    until: range.untilMs === undefined ? null : new Date(range.untilMs).toISOString(),
  };
}

export function querySummary(db: DatabaseSync, range: TimeRange, trackLimit: number, nowMs: number): AnalyticsSummary {
  const { where, params } = playFilter(range);
  const totals = db.prepare(`SELECT ${TOTALS_SELECT} FROM play_sessions ${where}`).get(...params) as unknown as TotalsRow;
  const tracks = db
    .prepare(`SELECT track_id, ${TOTALS_SELECT} FROM play_sessions ${where} GROUP BY track_id ORDER BY plays DESC, listened_ms DESC, track_id LIMIT ?`)
    .all(...params, trackLimit) as unknown as (TotalsRow & { track_id: string })[];
  const { track_count: trackCount } = db.prepare(`SELECT COUNT(DISTINCT track_id) AS track_count FROM play_sessions ${where}`).get(...params) as {
    track_count: number;
  };
  return {
    generated_at: new Date(nowMs).toISOString(),
    ...rangeJson(range),
    totals: totalsOf(totals),
    quality_distribution: qualityDistribution(db, range),
    tracks: tracks.map((row): TrackTotals => ({ track_id: row.track_id, ...totalsOf(row) })),
    track_count: trackCount,
  };
}

export function queryTrackDetails(db: DatabaseSync, trackId: string, range: TimeRange, recentLimit: number, nowMs: number): TrackDetails {
  const { where, params } = playFilter(range, trackId);
  const totals = db.prepare(`SELECT ${TOTALS_SELECT} FROM play_sessions ${where}`).get(...params) as unknown as TotalsRow;
  const platforms = db
    .prepare(`SELECT platform, COUNT(*) AS plays, SUM(listened_ms) AS listened_ms FROM play_sessions ${where} GROUP BY platform ORDER BY plays DESC, platform`)
    .all(...params) as { platform: Platform; plays: number; listened_ms: number }[];
  const switches = db
    .prepare(
      `SELECT from_quality AS "from", to_quality AS "to", reason, COUNT(*) AS count
       FROM play_sessions JOIN quality_switches ON quality_switches.session = play_sessions.id ${where}
       GROUP BY from_quality, to_quality, reason ORDER BY count DESC, from_quality, to_quality, reason`,
    )
    .all(...params) as { from: string; to: string; reason: QualitySwitchReason; count: number }[];
  const recent = db.prepare(`SELECT * FROM play_sessions ${where} ORDER BY started_at_ms DESC, id DESC LIMIT ?`).all(...params, recentLimit) as unknown as PlaySessionRow[];
  return {
    generated_at: new Date(nowMs).toISOString(),
    ...rangeJson(range),
    track_id: trackId,
    totals: totalsOf(totals),
    quality_distribution: qualityDistribution(db, range, trackId),
    platforms: platforms.map((row) => ({ ...row })),
    quality_switches: switches.map((row) => ({ ...row })),
    recent_sessions: recent.map((row) => PlaySession.fromRow(row).toRecord()),
  };
}
