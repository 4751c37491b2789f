import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { DatabaseSync } from 'node:sqlite';
import { analyticsDefaults, analyticsOptions } from '../defaults.js';
import { displayPath, fieldError, HlsaudioError, isHlsaudioError, optionError } from '../errors.js';
import { type Logger, stderrLogger } from '../log.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import { BackgroundConnection, readOnConnection, type Reader } from './background.js';
import { BatchWriter, type QueuedRow } from './batch-writer.js';
import { openDatabase } from './database.js';
import { PlaySession, type PlaySessionRow } from './play-session.js';
import { querySummary, queryTrackDetails } from './queries.js';
import type { QualityChangeReason } from '../streaming/types.js';
import type { AnalyticsSummary, EndReason, PlaySessionRecord, PlaySessionStart, TimeRange, TrackDetails } from './types.js';
import {
  checkBufferHealth,
  checkPosition,
  checkQuality,
  checkReason,
  checkRebufferMs,
  checkSessionId,
  checkStart,
  checkTrackId,
} from './validate.js';

type Limits = OptionValues<typeof analyticsOptions>;

export interface AnalyticsOptions extends Partial<Omit<Limits, 'dbFileInOutDir' | 'summaryTrackLimitMax'>> {
  /** The database file (`--db`). Without it, `<outDir>/.hlsaudio/analytics.db`. */
  file?: string | undefined;
  /** The output folder served; where the database lives when `file` is not given. */
  outDir?: string | undefined;
  /** The clock, epoch ms (tests drive it). */
  now?: (() => number) | undefined;
  /**
   * Told (warn) about a write that failed in the background (its rows are dropped, the plays' totals
   * are written again by the next write), so a full disk never stops playback. Default: stderr.
   */
  logger?: Logger | undefined;
}

/** What the store has done: for `/api/status`-like pages and the load test. */
export interface AnalyticsStats {
  open_sessions: number;
  queued_rows: number;
  writes: number;
  rows_written: number;
  rows_dropped: number;
  write_errors: number;
  /** Time each write (one transaction) held the event loop, in ms. */
  write_ms: { p50: number; p99: number; max: number };
}

/** The database file of an output folder when `--db` is not given. */
export function analyticsFile(outDir: string): string {
  return join(outDir, analyticsDefaults.dbFileInOutDir);
}

/**
 * The spec's Analytics Engine: play sessions, progress, quality switches and rebuffers in SQLite
 * (node:sqlite), written in batches, and the figures of the summary and track pages.
 *
 * Calls are synchronous and cheap: they check their arguments (E_FIELD and friends, thrown), update
 * the play in memory, and queue rows. Queued rows are written in one transaction every
 * `flushIntervalMs`, or at once when `flushMaxRows` are queued, and by `flush()`, the queries and
 * `close()`. One process writes a database file.
 */
export class AnalyticsEngine {
  readonly file: string;
  private readonly options: Limits;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly db: DatabaseSync;
  private readonly writer: BatchWriter;
  /** Plays not ended, and ended plays until their end is written. */
  private readonly sessions = new Map<string, PlaySession>();
  private openSessionCount = 0;
  private queue: QueuedRow[] = [];
  private dirty = new Set<PlaySession>();
  private readonly timer: NodeJS.Timeout;
  private readonly background: BackgroundConnection;
  private lastSweepMs: number;
  private closed = false;
  private readonly writeDurations: RecordableHistogram = createHistogram();
  private counters = { writes: 0, rowsWritten: 0, rowsDropped: 0, writeErrors: 0 };

  constructor(options: AnalyticsOptions) {
    this.options = resolveOptions(analyticsOptions, options, optionError);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? stderrLogger;
    if (options.file === undefined && options.outDir === undefined) throw optionError('file', 'a path, or `outDir` to be given', undefined);
    this.file = options.file ?? analyticsFile(options.outDir!);
    this.db = openDatabase(this.file, this.options);
    try {
      this.writer = new BatchWriter(this.db);
      this.lastSweepMs = this.now();
      this.resumeOpenSessions();
    } catch (cause) {
      this.db.close();
      throw new HlsaudioError('E_ANALYTICS_DB', `${displayPath(this.file)}: cannot read the open play sessions (${(cause as Error).message})`, { file: this.file, cause });
    }
    if (this.options.checkpointIntervalMs > 0) this.db.exec('PRAGMA wal_autocheckpoint = 0');
    this.background = new BackgroundConnection(this.file, this.options, () => {
      if (!this.closed) this.db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    });
    // Unref'd: analytics never keep a process alive; whoever stops the process calls close().
    this.timer = setInterval(() => this.tick(), this.options.flushIntervalMs).unref();
  }

  /** The spec's `start_play_session`; returns the new play's session id. */
  startPlaySession(start: PlaySessionStart): string {
    this.assertOpen();
    const checked = checkStart(start, this.options);
    if (this.openSessionCount >= this.options.maxOpenSessions) {
      throw new HlsaudioError('E_TOO_MANY_PLAY_SESSIONS', `${this.options.maxOpenSessions} play sessions are open (maxOpenSessions); end some first`);
    }
    const session = new PlaySession(
      {
        sessionId: randomUUID(),
        userId: checked.userId,
        trackId: checked.trackId,
        ip: checked.ip,
        userAgent: checked.userAgent,
        platform: checked.platform,
        referrer: checked.referrer,
        durationMs: checked.durationMs,
        startQuality: checked.quality,
        startedAtMs: this.now(),
      },
      Math.min(checked.startPositionMs, checked.durationMs),
    );
    this.sessions.set(session.identity.sessionId, session);
    this.openSessionCount += 1;
    this.dirty.add(session);
    return session.identity.sessionId;
  }

  /** The spec's `update_play_progress`: the player's position and, when it has one, its buffer health (0-100). */
  updatePlayProgress(sessionId: string, positionMs: number, bufferHealth?: number | null): void {
    this.assertOpen();
    const session = this.openSession(sessionId);
    const position = checkPosition('position_ms', positionMs);
    const health = checkBufferHealth(bufferHealth);
    this.recordProgress(session, position, health);
  }

  /**
   * The spec's `end_play_session`, with the final position when the caller knows it (a last
   * progress report, without buffer health). Returns the play as stored.
   */
  endPlaySession(sessionId: string, finalPositionMs?: number | null): PlaySessionRecord {
    this.assertOpen();
    const session = this.openSession(sessionId);
    const position = finalPositionMs === undefined || finalPositionMs === null ? undefined : checkPosition('position_ms', finalPositionMs);
    if (position !== undefined) this.recordProgress(session, position, null);
    this.endSession(session, this.now(), 'Ended');
    return session.toRecord();
  }

  /** The player changed quality; listening from now on is credited to `to`. */
  recordQualitySwitch(sessionId: string, from: string, to: string, reason: QualityChangeReason): void {
    this.assertOpen();
    const session = this.openSession(sessionId);
    const fromQuality = checkQuality('from', from);
    const toQuality = checkQuality('to', to);
    if (fromQuality === toQuality) throw fieldError('to', `a quality other than \`from\` ("${fromQuality}")`, to);
    const checkedReason = checkReason(reason);
    const atMs = this.now();
    session.switchQuality(toQuality, atMs);
    this.enqueue({ kind: 'switch', session, atMs, from: fromQuality, to: toQuality, reason: checkedReason });
  }

  /** A stall of playback that lasted `durationMs`. */
  recordRebuffer(sessionId: string, durationMs: number): void {
    this.assertOpen();
    const session = this.openSession(sessionId);
    const duration = checkRebufferMs(durationMs, this.options.maxDurationMs);
    const atMs = this.now();
    session.rebuffer(duration, atMs);
    this.enqueue({ kind: 'rebuffer', session, atMs, durationMs: duration });
  }

  /** A play, open or ended. */
  getPlaySession(sessionId: string): PlaySessionRecord {
    this.assertOpen();
    const id = checkSessionId(sessionId);
    const session = this.sessions.get(id) ?? this.storedSession(id);
    if (!session) throw unknownSession(id);
    return session.toRecord();
  }

  /**
   * `GET /api/analytics/summary`. Writes what is queued first, so the figures include every call so
   * far; the query itself runs in the worker thread, off the event loop.
   */
  async summary(range: TimeRange & { trackLimit?: number | undefined } = {}): Promise<AnalyticsSummary> {
    this.assertOpen();
    this.flushReportingErrors();
    return this.reading(() => querySummary(this.reader(), range, range.trackLimit ?? this.options.summaryTrackLimit, this.now()));
  }

  /** `GET /api/analytics/tracks/:id`: zero plays for a track never played. */
  async trackDetails(trackId: string, range: TimeRange = {}): Promise<TrackDetails> {
    this.assertOpen();
    const id = checkTrackId(trackId);
    this.flushReportingErrors();
    return this.reading(() => queryTrackDetails(this.reader(), id, range, this.options.recentSessionsLimit, this.now()));
  }

  /**
   * Writes every queued row and every touched play now, in one transaction (the queue never holds
   * more than flushMaxRows rows); returns how many rows were written. A failed write drops its rows
   * and throws E_ANALYTICS_WRITE; the plays' totals stay queued and are written by the next one.
   */
  flush(): number {
    this.assertOpen();
    if (this.queue.length === 0 && this.dirty.size === 0) return 0;
    const rows = this.queue;
    const sessions = this.dirty;
    this.queue = [];
    const started = process.hrtime.bigint();
    try {
      this.writer.write(rows, sessions);
    } catch (cause) {
      this.counters.writeErrors += 1;
      this.counters.rowsDropped += rows.length;
      throw new HlsaudioError('E_ANALYTICS_WRITE', `${displayPath(this.file)}: ${rows.length} analytics rows could not be written and are lost (${(cause as Error).message})`, {
        file: this.file,
        cause,
      });
    } finally {
      this.writeDurations.record(Math.max(1, Number(process.hrtime.bigint() - started)));
    }
    this.dirty = new Set();
    this.counters.writes += 1;
    this.counters.rowsWritten += rows.length;
    for (const session of sessions) {
      if (session.ended) this.sessions.delete(session.identity.sessionId);
    }
    return rows.length;
  }

  stats(): AnalyticsStats {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const histogram = this.writeDurations;
    return {
      open_sessions: this.openSessionCount,
      queued_rows: this.queue.length,
      writes: this.counters.writes,
      rows_written: this.counters.rowsWritten,
      rows_dropped: this.counters.rowsDropped,
      write_errors: this.counters.writeErrors,
      write_ms: histogram.count === 0 ? { p50: 0, p99: 0, max: 0 } : { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
    };
  }

  /**
   * Writes what is queued and closes the file (and the worker thread's connection). Open plays stay
   * open: a later run resumes them. Closed even when that last write fails (E_ANALYTICS_WRITE, thrown).
   */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    this.background.stop();
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  /** The worker thread's connection while it runs; the writing one, blocking, if it stopped. */
  private reader(): Reader {
    return this.background.alive ? this.background.read : readOnConnection(this.db);
  }

  private async reading<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (cause) {
      if (isHlsaudioError(cause)) throw cause;
      throw new HlsaudioError('E_ANALYTICS_DB', `${displayPath(this.file)}: the analytics query failed (${(cause as Error).message})`, { file: this.file, cause });
    }
  }

  private recordProgress(session: PlaySession, positionMs: number, bufferHealth: number | null): void {
    const atMs = this.now();
    const creditedMs = session.progress(positionMs, bufferHealth, atMs, this.options);
    this.enqueue({ kind: 'progress', session, atMs, positionMs: session.positionMs, bufferHealth, creditedMs });
  }

  private enqueue(row: QueuedRow): void {
    this.queue.push(row);
    this.dirty.add(row.session);
    // Written at once rather than on the next tick: the write costs the event loop the same either
    // way, and this keeps every write at most flushMaxRows rows.
    if (this.queue.length >= this.options.flushMaxRows) this.flushReportingErrors();
  }

  private endSession(session: PlaySession, atMs: number, reason: EndReason): void {
    session.end(atMs, reason, this.options.completionRatio);
    this.openSessionCount -= 1;
    this.dirty.add(session);
  }

  private flushReportingErrors(): void {
    try {
      this.flush();
    } catch (error) {
      if (!isHlsaudioError(error)) throw error;
      this.logger.warn(`analytics: ${error.message}`);
    }
  }

  private tick(): void {
    const nowMs = this.now();
    if (nowMs - this.lastSweepMs >= this.options.sweepIntervalMs) {
      this.lastSweepMs = nowMs;
      this.endIdleSessions(nowMs);
    }
    this.flushReportingErrors();
  }

  /** Ends, at their last activity, the plays silent for sessionIdleMs: a closed tab never calls endPlaySession. */
  private endIdleSessions(nowMs: number): void {
    for (const session of this.sessions.values()) {
      if (!session.ended && nowMs - session.lastSeenAtMs >= this.options.sessionIdleMs) this.endSession(session, session.lastSeenAtMs, 'Idle');
    }
  }

  /** Takes back the plays a previous run left open (stopped, or killed): they go on, or end as idle. */
  private resumeOpenSessions(): void {
    const rows = this.db.prepare('SELECT * FROM play_sessions WHERE ended_at_ms IS NULL').all() as unknown as PlaySessionRow[];
    for (const row of rows) {
      const session = PlaySession.fromRow(row);
      this.sessions.set(session.identity.sessionId, session);
      this.openSessionCount += 1;
    }
    this.endIdleSessions(this.now());
    this.flush();
  }

  /** The play a call names, which must be open. */
  private openSession(sessionId: unknown): PlaySession {
    const id = checkSessionId(sessionId);
    const session = this.sessions.get(id) ?? this.storedSession(id);
    if (!session) throw unknownSession(id);
    if (session.ended) {
      throw new HlsaudioError('E_PLAY_SESSION_ENDED', `Play session ${id} has ended (${session.endReason === 'Idle' ? 'idle too long' : 'ended by its player'}); start a new one`, {
        field: 'session_id',
      });
    }
    return session;
  }

  /** An ended play, read from the file (open plays are all in memory). */
  private storedSession(id: string): PlaySession | undefined {
    const row = this.db.prepare('SELECT * FROM play_sessions WHERE session_id = ?').get(id) as unknown as PlaySessionRow | undefined;
    return row ? PlaySession.fromRow(row) : undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new HlsaudioError('E_ANALYTICS_CLOSED', 'The analytics store is closed');
  }
}

/** SQLite's own default for `wal_autocheckpoint`, put back when the checkpoint worker stops. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

function unknownSession(id: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_PLAY_SESSION', `No play session ${JSON.stringify(id)}`, { field: 'session_id' });
}
