import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { PlaySession } from './play-session.js';
import { HEARTBEAT_STATEMENT, type WriteBatch } from './store.js';
import type { QualityChangeReason } from '../streaming/types.js';

/** A row waiting in the write queue. Each names its play, whose id is known only once the play is written. */
export type QueuedRow =
  | { kind: 'progress'; session: PlaySession; atMs: number; positionMs: number; bufferHealth: number | null; creditedMs: number }
  | { kind: 'switch'; session: PlaySession; atMs: number; from: string; to: string; reason: QualityChangeReason }
  | { kind: 'rebuffer'; session: PlaySession; atMs: number; durationMs: number };

export const TOTALS = [
  'quality',
  'last_seen_at_ms',
  'last_progress_at_ms',
  'position_ms',
  'listened_ms',
  'covered_ms',
  'covered_ranges',
  'quality_listened_ms',
  'progress_updates',
  'buffer_health_sum',
  'buffer_health_reports',
  'quality_switches',
  'rebuffers',
  'rebuffer_ms',
] as const;
export const IDENTITY = ['session_id', 'user_id', 'track_id', 'ip', 'user_agent', 'platform', 'referrer', 'duration_ms', 'start_quality', 'started_at_ms'] as const;
export const ENDING = ['ended_at_ms', 'end_reason', 'completed'] as const;
export const INSERT_COLUMNS = [...IDENTITY, ...TOTALS, ...ENDING, 'node'] as const;

/**
 * Writes one batch to SQLite in one transaction: the plays not yet in the file, the queued rows, then
 * a snapshot of every play the batch touched (its running totals, and its end once it ended), so that
 * the file is consistent at every commit; and the node's heartbeat (store.ts). A play another node
 * holds is not updated. One transaction per batch is what makes batching pay: a
 * commit costs several rows' worth and rewrites whole pages (docs/design-notes.md, "Analytics", from `npm run bench:analytics`).
 */
export class BatchWriter {
  private readonly db: DatabaseSync;
  private readonly insertSession: StatementSync;
  private readonly updateTotals: StatementSync;
  private readonly updateEnding: StatementSync;
  private readonly insertProgress: StatementSync;
  private readonly insertSwitch: StatementSync;
  private readonly insertRebuffer: StatementSync;
  private readonly heartbeat: StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertSession = db.prepare(`INSERT INTO play_sessions (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
    this.updateTotals = db.prepare(`UPDATE play_sessions SET ${TOTALS.map((column) => `${column} = ?`).join(', ')} WHERE id = ? AND node = ?`);
    // Apart from the totals: play_sessions_open is keyed on ended_at_ms, and SQLite rewrites an
    // index entry whenever an UPDATE names one of its columns, so the frequent update leaves it out.
    this.updateEnding = db.prepare(`UPDATE play_sessions SET ${ENDING.map((column) => `${column} = ?`).join(', ')} WHERE id = ? AND node = ?`);
    this.insertProgress = db.prepare('INSERT INTO progress_updates (session, at_ms, position_ms, buffer_health, credited_ms) VALUES (?, ?, ?, ?, ?)');
    this.insertSwitch = db.prepare('INSERT INTO quality_switches (session, at_ms, from_quality, to_quality, reason) VALUES (?, ?, ?, ?, ?)');
    this.insertRebuffer = db.prepare('INSERT INTO rebuffers (session, at_ms, duration_ms) VALUES (?, ?, ?)');
    this.heartbeat = db.prepare(HEARTBEAT_STATEMENT);
  }

  /**
   * Writes `rows` and the snapshots of `sessions` (which must include every play a row names).
   * All or nothing: on failure the transaction is rolled back, the plays it inserted lose their id
   * again, and the error is thrown.
   */
  write({ node, nowMs, rows, sessions }: WriteBatch): void {
    const inserted = new Set<PlaySession>();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.heartbeat.run(node, nowMs, nowMs);
      for (const session of sessions) {
        if (session.key !== undefined) continue;
        session.key = Number(this.insertSession.run(...identityValues(session), ...totalsValues(session), ...endingValues(session), node).lastInsertRowid);
        inserted.add(session);
      }
      for (const row of rows) {
        const key = row.session.key!;
        if (row.kind === 'progress') this.insertProgress.run(key, row.atMs, row.positionMs, row.bufferHealth, row.creditedMs);
        else if (row.kind === 'switch') this.insertSwitch.run(key, row.atMs, row.from, row.to, row.reason);
        else this.insertRebuffer.run(key, row.atMs, row.durationMs);
      }
      for (const session of sessions) {
        if (inserted.has(session)) continue;
        this.updateTotals.run(...totalsValues(session), session.key!, node);
        if (session.ended) this.updateEnding.run(...endingValues(session), session.key!, node);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      rollback(this.db);
      for (const session of inserted) session.key = undefined;
      throw error;
    }
  }
}

/** Ends the failed transaction; when BEGIN itself failed there is none, and nothing to do. */
export function rollback(db: DatabaseSync): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // No transaction open (`isTransaction` would say so, but Node 22 before 22.16 lacks it).
  }
}

export function identityValues(session: PlaySession): SQLInputValue[] {
  const { identity } = session;
  return [
    identity.sessionId,
    identity.userId,
    identity.trackId,
    identity.ip,
    identity.userAgent,
    identity.platform,
    identity.referrer,
    identity.durationMs,
    identity.startQuality,
    identity.startedAtMs,
  ];
}

export function totalsValues(session: PlaySession): SQLInputValue[] {
  return [
    session.quality,
    session.lastSeenAtMs,
    session.lastProgressAtMs,
    session.positionMs,
    session.listenedMs,
    session.coverage.totalMs,
    session.coverage.toJson(),
    JSON.stringify(Object.fromEntries(session.qualityListenedMs)),
    session.progressUpdates,
    session.bufferHealthSum,
    session.bufferHealthReports,
    session.qualitySwitches,
    session.rebuffers,
    session.rebufferMs,
  ];
}

export function endingValues(session: PlaySession): SQLInputValue[] {
  return [session.endedAtMs ?? null, session.endReason ?? null, session.completed ? 1 : 0];
}
