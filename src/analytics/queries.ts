import type { SQLInputValue } from 'node:sqlite';
import type { ReadStatement, Reader } from './background.js';
import type { SqlDialect } from './dialect.js';
import { PlaySession, type PlaySessionRow, roundHealth, roundRatio } from './play-session.js';
import type { QualityChangeReason } from '../streaming/types.js';
import type { AnalyticsSummary, Platform, PlayTotals, QualityShare, TimeRange, TrackDetails, TrackTotals } from './types.js';

/**
 * The read side: figures computed by the database from one row per play (play_sessions), never from
 * the progress log. A summary is two passes over the plays of the range, in one snapshot; the reader
 * runs them off the event loop (background.ts, or PostgreSQL's server). The same statements run on
 * SQLite and PostgreSQL, the few differences put in by `dialect`.
 */

interface TotalsRow {
  plays: number;
  ended_plays: number;
  completed_plays: number;
  listened_ms: number;
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
    average_buffer_health: row.buffer_health_reports === 0 ? null : roundHealth(row.buffer_health_sum / row.buffer_health_reports),
    quality_switches: row.quality_switches,
    rebuffers: row.rebuffers,
    rebuffer_ms: row.rebuffer_ms,
    rebuffer_ratio: stalledAndPlayed === 0 ? null : roundRatio(row.rebuffer_ms / stalledAndPlayed),
  };
}

function qualityStatement(dialect: SqlDialect, range: TimeRange, trackId?: string): ReadStatement {
  const { where, params } = playFilter(range, trackId);
  return {
    sql: `SELECT quality.key AS quality, SUM(${dialect.jsonEntryNumber('quality')}) AS listened_ms
          FROM play_sessions, ${dialect.jsonEntries('play_sessions.quality_listened_ms', 'quality')} ${where}
          GROUP BY quality.key ORDER BY listened_ms DESC, ${dialect.bytewise('quality.key')}`,
    params,
  };
}

function qualityShares(rows: Record<string, unknown>[]): QualityShare[] {
  const shares = rows as unknown as { quality: string; listened_ms: number }[];
  const total = shares.reduce((sum, row) => sum + row.listened_ms, 0);
  return shares.map((row) => ({ quality: row.quality, listened_ms: row.listened_ms, share: roundRatio(row.listened_ms / total) }));
}

function rangeJson(range: TimeRange): { since: string | null; until: string | null } {
  return {
    since: range.sinceMs === undefined ? null : new Date(range.sinceMs).toISOString(),
    until: range.untilMs === undefined ? null : new Date(range.untilMs).toISOString(),
  };
}

/**
 * Every track's totals in one grouped pass (the overall totals are their sums, so the plays are read
 * once for both), and the quality split in a second.
 */
export async function querySummary(read: Reader, dialect: SqlDialect, range: TimeRange, trackLimit: number, nowMs: number): Promise<AnalyticsSummary> {
  const { where, params } = playFilter(range);
  const [trackRows, qualityRows] = await read([
    { sql: `SELECT track_id, ${TOTALS_SELECT} FROM play_sessions ${where} GROUP BY track_id`, params },
    qualityStatement(dialect, range),
  ]);
  const perTrack = trackRows as unknown as (TotalsRow & { track_id: string })[];
  const sums: TotalsRow = {
    plays: 0,
    ended_plays: 0,
    completed_plays: 0,
    listened_ms: 0,
    buffer_health_sum: 0,
    buffer_health_reports: 0,
    quality_switches: 0,
    rebuffers: 0,
    rebuffer_ms: 0,
  };
  for (const row of perTrack) {
    for (const key of Object.keys(sums) as (keyof TotalsRow)[]) sums[key] += row[key];
  }
  perTrack.sort((a, b) => b.plays - a.plays || b.listened_ms - a.listened_ms || (a.track_id < b.track_id ? -1 : 1));
  return {
    generated_at: new Date(nowMs).toISOString(),
    ...rangeJson(range),
    totals: totalsOf(sums),
    quality_distribution: qualityShares(qualityRows!),
    tracks: perTrack.slice(0, trackLimit).map((row): TrackTotals => ({ track_id: row.track_id, ...totalsOf(row) })),
    track_count: perTrack.length,
  };
}

export async function queryTrackDetails(read: Reader, dialect: SqlDialect, trackId: string, range: TimeRange, recentLimit: number, nowMs: number): Promise<TrackDetails> {
  const { where, params } = playFilter(range, trackId);
  const [totals, qualities, platforms, switches, recent] = await read([
    { sql: `SELECT ${TOTALS_SELECT} FROM play_sessions ${where}`, params },
    qualityStatement(dialect, range, trackId),
    {
      sql: `SELECT platform, COUNT(*) AS plays, SUM(listened_ms) AS listened_ms FROM play_sessions ${where} GROUP BY platform ORDER BY plays DESC, ${dialect.bytewise('platform')}`,
      params,
    },
    {
      sql: `SELECT from_quality AS "from", to_quality AS "to", reason, COUNT(*) AS count
            FROM play_sessions JOIN quality_switches ON quality_switches.session = play_sessions.id ${where}
            GROUP BY from_quality, to_quality, reason ORDER BY count DESC, ${['from_quality', 'to_quality', 'reason'].map(dialect.bytewise).join(', ')}`,
      params,
    },
    { sql: `SELECT * FROM play_sessions ${where} ORDER BY started_at_ms DESC, id DESC LIMIT ?`, params: [...params, recentLimit] },
  ]);
  return {
    generated_at: new Date(nowMs).toISOString(),
    ...rangeJson(range),
    track_id: trackId,
    totals: totalsOf(totals![0] as unknown as TotalsRow),
    quality_distribution: qualityShares(qualities!),
    platforms: (platforms as unknown as { platform: Platform; plays: number; listened_ms: number }[]).map((row) => ({ ...row })),
    quality_switches: (switches as unknown as { from: string; to: string; reason: QualityChangeReason; count: number }[]).map((row) => ({ ...row })),
    recent_sessions: (recent as unknown as PlaySessionRow[]).map((row) => PlaySession.fromRow(row).toRecord()),
  };
}
