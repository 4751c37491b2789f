import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { analyticsDefaults, analyticsOptions } from '../defaults.js';
import { fieldError, HlsaudioError, isHlsaudioError, optionError } from '../errors.js';
import { type Logger, stderrLogger } from '../log.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { QueuedRow } from './batch-writer.js';
import { PlaySession, type PlaySessionRow } from './play-session.js';
import { maskUrlCredentials } from '../url-credentials.js';
import { querySummary, queryTrackDetails } from './queries.js';
import { SqliteStore } from './sqlite-store.js';
import { type AnalyticsStore, errorText } from './store.js';
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
  /** The database file (`--db`). Without it (and without `url`), `<outDir>/.hlsaudio/analytics.db`. */
  file?: string | undefined;
  /** A PostgreSQL database instead of the file (`--db postgres://…`): open the engine with AnalyticsEngine.open. */
  url?: string | undefined;
  /** The output folder served; where the database lives when `file` is not given. */
  outDir?: string | undefined;
  /** This process in the register of nodes that share the database (store.ts); a fresh one by default. */
  node?: string | undefined;
  /** The clock, epoch ms (tests drive it). */
  now?: (() => number) | undefined;
  /**
   * Told (warn) when writes start failing (once per outage, not per write) and when they work again,
   * so that a full disk or a database away never stops playback. Default: stderr.
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
  /** Time each write held the event loop, in ms (on PostgreSQL, building the batch; the transaction runs on the server). */
  write_ms: { p50: number; p99: number; max: number };
}

/** The database file of an output folder when `--db` is not given. */
export function analyticsFile(outDir: string): string {
  return join(outDir, analyticsDefaults.dbFileInOutDir);
}

/**
 * The spec's Analytics Engine: play sessions, progress, quality switches and rebuffers in SQLite
 * (node:sqlite) or PostgreSQL (store.ts), written in batches, and the figures of the summary and
 * track pages.
 *
 * Calls are synchronous and cheap: they check their arguments (E_FIELD and friends, thrown), update
 * the play in memory, and queue rows. Queued rows are written in one transaction every
 * `flushIntervalMs`, or at once when `flushMaxRows` are queued, and by `flush()`, the queries and
 * `close()`; one write at a time. Several processes may write one database: each holds its own
 * plays (store.ts).
 */
export class AnalyticsEngine {
  /** The SQLite file; undefined on PostgreSQL. */
  readonly file: string | undefined;
  /** This process in the register of nodes. */
  readonly node: string;
  private readonly options: Limits;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly store: AnalyticsStore;
  /** Plays not ended, and ended plays until their end is written. */
  private readonly sessions = new Map<string, PlaySession>();
  private openSessionCount = 0;
  /**
   * Open plays taken over from stopped nodes. They do not count against maxOpenSessions: a node
   * that adopts a dead node's plays (whose listeners come back as new plays) must not refuse its own.
   */
  private readonly adopted = new Set<PlaySession>();
  private queue: QueuedRow[] = [];
  private dirty = new Set<PlaySession>();
  private readonly timer: NodeJS.Timeout;
  private lastSweepMs: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The write on its way to PostgreSQL; the next waits for it. */
  private writing: Promise<number> | undefined;
  private claiming = false;
  /** Since when writes fail, and why: logged when it begins and when it ends; `/healthz` reads it. */
  private outage: { sinceMs: number; error: string; failures: number; dropped: number } | undefined;
  private readonly writeDurations: RecordableHistogram = createHistogram();
  private counters = { writes: 0, rowsWritten: 0, rowsDropped: 0, writeErrors: 0 };

  /**
   * An engine on an SQLite file (`file` or `outDir`), ready at once. For PostgreSQL (`url`), use
   * AnalyticsEngine.open, which connects first.
   */
  constructor(options: AnalyticsOptions, opened?: { store: AnalyticsStore; claimed: PlaySessionRow[] }) {
    this.options = resolveOptions(analyticsOptions, options, optionError);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? stderrLogger;
    this.node = options.node ?? defaultNode();
    if (this.options.nodeTimeoutMs <= this.options.sweepIntervalMs) {
      throw optionError('nodeTimeoutMs', `longer than sweepIntervalMs (${this.options.sweepIntervalMs})`, this.options.nodeTimeoutMs);
    }
    if (opened) {
      this.file = undefined;
      this.store = opened.store;
    } else {
      if (options.url !== undefined) throw optionError('url', 'opened with AnalyticsEngine.open (PostgreSQL connects asynchronously)', maskUrlCredentials(options.url));
      if (options.file === undefined && options.outDir === undefined) throw optionError('file', 'a path, or `outDir` to be given', undefined);
      this.file = options.file ?? analyticsFile(options.outDir!);
      this.store = new SqliteStore(this.file, this.options);
    }
    this.lastSweepMs = this.now();
    try {
      this.adopt(opened ? opened.claimed : (this.store.claim(this.node, this.now(), this.options.nodeTimeoutMs) as PlaySessionRow[]));
      this.endIdleSessions(this.now());
      if (!opened) this.write();
    } catch (cause) {
      if (!opened) (this.store as SqliteStore).close(this.node);
      throw new HlsaudioError('E_ANALYTICS_DB', `${this.store.location}: cannot read the open play sessions (${(cause as Error).message})`, { file: this.file, cause });
    }
    // Unref'd: analytics never keep a process alive; whoever stops the process calls close().
    this.timer = setInterval(() => this.tick(), this.options.flushIntervalMs).unref();
  }

  /**
   * An engine on the store the options name: PostgreSQL for `url` (connected, its schema brought up
   * to date under a lock, E_DB when unreachable), else the SQLite file.
   */
  static async open(options: AnalyticsOptions): Promise<AnalyticsEngine> {
    if (options.url === undefined) return new AnalyticsEngine(options);
    const limits = resolveOptions(analyticsOptions, options, optionError);
    const { PostgresStore } = await import('./postgres-store.js');
    const store = await PostgresStore.connect(options.url, {
      poolSize: limits.postgresPoolSize,
      connectTimeoutMs: limits.postgresConnectTimeoutMs,
      queryTimeoutMs: limits.postgresQueryTimeoutMs,
    });
    const node = options.node ?? defaultNode();
    let engine: AnalyticsEngine | undefined;
    try {
      const claimed = await store.claim(node, (options.now ?? Date.now)(), limits.nodeTimeoutMs);
      engine = new AnalyticsEngine({ ...options, node }, { store, claimed });
      await engine.flush();
      return engine;
    } catch (error) {
      await (engine ? engine.close() : store.close(node)).catch(() => undefined);
      if (isHlsaudioError(error)) throw error;
      throw new HlsaudioError('E_ANALYTICS_DB', `${store.location}: cannot read the open play sessions (${(error as Error).message})`, { cause: error });
    }
  }

  /** The spec's `start_play_session`; returns the new play's session id. */
  startPlaySession(start: PlaySessionStart): string {
    this.assertOpen();
    const checked = checkStart(start, this.options);
    if (this.openSessionCount - this.adopted.size >= this.options.maxOpenSessions) {
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

  /**
   * A play, open or ended: one this node holds, or (SQLite) any play of the file. On PostgreSQL a
   * play no longer in memory reads as unknown (E_UNKNOWN_PLAY_SESSION): the summary and track pages
   * are the way to read stored plays there.
   */
  getPlaySession(sessionId: string): PlaySessionRecord {
    this.assertOpen();
    const id = checkSessionId(sessionId);
    const session = this.sessions.get(id) ?? this.storedSession(id);
    if (!session) throw unknownSession(id);
    return session.toRecord();
  }

  /**
   * `GET /api/analytics/summary`. Writes what is queued first, so the figures include every call so
   * far; the query itself runs off the event loop (SQLite's worker thread, or PostgreSQL).
   */
  async summary(range: TimeRange & { trackLimit?: number | undefined } = {}): Promise<AnalyticsSummary> {
    this.assertOpen();
    await this.flushReportingErrors();
    return this.reading(() => querySummary(this.store.read, this.store.dialect, range, range.trackLimit ?? this.options.summaryTrackLimit, this.now()));
  }

  /** `GET /api/analytics/tracks/:id`: zero plays for a track never played. */
  async trackDetails(trackId: string, range: TimeRange = {}): Promise<TrackDetails> {
    this.assertOpen();
    const id = checkTrackId(trackId);
    await this.flushReportingErrors();
    return this.reading(() => queryTrackDetails(this.store.read, this.store.dialect, id, range, this.options.recentSessionsLimit, this.now()));
  }

  /**
   * Writes every queued row and every touched play, in one transaction; resolves to how many rows
   * were written. On SQLite the write is done when this returns (unless one is still on its way);
   * on PostgreSQL it waits for the write before it, if any. A failed write rejects with
   * E_ANALYTICS_WRITE: its rows are kept for the next write while the database is away (up to
   * maxQueuedRows), dropped otherwise; the plays' totals are written by the next one either way.
   */
  flush(): Promise<number> {
    this.assertOpen();
    const run = () => this.write();
    let result: number | Promise<number>;
    try {
      result = this.writing ? this.writing.then(run, run) : run();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(result instanceof Promise)) return Promise.resolve(result);
    const writing = result;
    this.writing = writing;
    void writing.catch(() => undefined).finally(() => {
      if (this.writing === writing) this.writing = undefined;
    });
    return writing;
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

  /** Why analytics are not being written (for `/healthz`), or undefined while writes work. */
  degradedReason(): string | undefined {
    const outage = this.outage;
    if (!outage) return undefined;
    return `analytics: writes to ${this.store.location} failing since ${new Date(outage.sinceMs).toISOString()} (${outage.error}); ${outage.failures} failed writes, ${this.queue.length} rows waiting`;
  }

  /**
   * Writes what is queued, leaves the register of nodes (its open plays stay open: this node's next
   * run, or another node, adopts them) and closes the database. Closed even when that last write
   * fails (E_ANALYTICS_WRITE, rejected). On SQLite all of it is done when this returns.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    clearInterval(this.timer);
    const last = this.flush();
    const finish = () => {
      this.closed = true;
      return this.store.close(this.node);
    };
    if (this.writing) {
      this.closing = last.then(
        async () => void (await finish()),
        async (error: unknown) => {
          await finish();
          throw error;
        },
      );
    } else {
      // SQLite has written by now: closed at once, so that the file is closed when this returns.
      let closed: void | Promise<void>;
      try {
        closed = finish();
      } catch (error) {
        closed = Promise.reject(error);
      }
      this.closing = Promise.all([last, closed]).then(() => undefined);
    }
    return this.closing;
  }

  /** Writes what is queued (see flush): a number once done (SQLite), or a promise of it (PostgreSQL). Throws E_ANALYTICS_WRITE. */
  private write(): number | Promise<number> {
    if (this.closed || (this.queue.length === 0 && this.dirty.size === 0)) return 0;
    const rows = this.queue;
    const sessions = this.dirty;
    this.queue = [];
    this.dirty = new Set();
    const started = process.hrtime.bigint();
    let pending: void | Promise<void>;
    try {
      pending = this.store.write({ node: this.node, nowMs: this.now(), rows, sessions });
    } catch (cause) {
      throw this.failed(rows, sessions, cause);
    } finally {
      this.writeDurations.record(Math.max(1, Number(process.hrtime.bigint() - started)));
    }
    if (!(pending instanceof Promise)) return this.written(rows, sessions);
    return pending.then(
      () => this.written(rows, sessions),
      (cause: unknown) => {
        throw this.failed(rows, sessions, cause);
      },
    );
  }

  private written(rows: readonly QueuedRow[], sessions: ReadonlySet<PlaySession>): number {
    this.counters.writes += 1;
    this.counters.rowsWritten += rows.length;
    for (const session of sessions) {
      if (session.ended) this.sessions.delete(session.identity.sessionId);
    }
    if (this.outage) {
      const { sinceMs, failures, dropped } = this.outage;
      this.outage = undefined;
      this.logger.info(`analytics: writes to ${this.store.location} work again after ${((this.now() - sinceMs) / 1000).toFixed(1)} s (${failures} failed writes, ${dropped} rows lost)`);
    }
    return rows.length;
  }

  /**
   * A write failed: its plays stay to be written, its rows are kept (the database is away: at most
   * maxQueuedRows, the oldest dropped beyond) or dropped (anything else). Logged when writes start
   * failing, not for every failed write.
   */
  private failed(rows: QueuedRow[], sessions: ReadonlySet<PlaySession>, cause: unknown): HlsaudioError {
    this.counters.writeErrors += 1;
    for (const session of sessions) this.dirty.add(session);
    const transient = this.store.isTransient(cause);
    let lost = rows.length;
    if (transient) {
      this.queue = rows.concat(this.queue);
      lost = Math.max(0, this.queue.length - this.options.maxQueuedRows);
      this.queue.splice(0, lost);
    }
    this.counters.rowsDropped += lost;
    const reason = errorText(cause);
    const message = transient
      ? `${this.store.location}: writes fail (${reason}); ${this.queue.length} analytics rows kept to be written when it is back (at most ${this.options.maxQueuedRows}, the oldest dropped beyond)`
      : `${this.store.location}: ${rows.length} analytics rows could not be written and are lost (${reason})`;
    if (this.outage) {
      this.outage.failures += 1;
      this.outage.dropped += lost;
      this.outage.error = reason;
    } else {
      this.outage = { sinceMs: this.now(), error: reason, failures: 1, dropped: lost };
      this.logger.warn(`analytics: ${message}`);
    }
    return new HlsaudioError('E_ANALYTICS_WRITE', message, { file: this.file, cause });
  }

  private async reading<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (cause) {
      if (isHlsaudioError(cause)) throw cause;
      throw new HlsaudioError('E_ANALYTICS_DB', `${this.store.location}: the analytics query failed (${errorText(cause)})`, { file: this.file, cause });
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
    // way, and this keeps every write at most flushMaxRows rows. Not while a write is on its way or
    // the database is away: the tick writes then, once per flushIntervalMs.
    if (this.queue.length >= this.options.flushMaxRows && !this.writing && !this.outage) void this.flushReportingErrors();
  }

  private endSession(session: PlaySession, atMs: number, reason: EndReason): void {
    session.end(atMs, reason, this.options.completionRatio);
    this.openSessionCount -= 1;
    this.adopted.delete(session);
    this.dirty.add(session);
  }

  /** flush, for the writes nobody waits on: a failed write was logged when writes started failing. */
  private async flushReportingErrors(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      if (!isHlsaudioError(error) || error.code !== 'E_ANALYTICS_WRITE') throw error;
    }
  }

  private tick(): void {
    const nowMs = this.now();
    if (nowMs - this.lastSweepMs >= this.options.sweepIntervalMs) {
      this.lastSweepMs = nowMs;
      this.sweep(nowMs);
    }
    if (!this.writing) void this.flushReportingErrors().catch((error: unknown) => this.logger.error(`analytics: ${errorText(error)}`));
  }

  /**
   * Says this node is alive, adopts the plays of nodes gone (store.ts), and ends the plays silent
   * for sessionIdleMs. A claim that fails is logged only when no outage is already reported.
   */
  private sweep(nowMs: number): void {
    this.endIdleSessions(nowMs);
    if (this.claiming) return;
    const adoptAndEnd = (rows: PlaySessionRow[]) => {
      this.adopt(rows);
      this.endIdleSessions(this.now());
    };
    const claimFailed = (error: unknown) => {
      if (!this.outage) this.logger.warn(`analytics: ${this.store.location}: cannot adopt the plays of stopped nodes (${errorText(error)}); trying again in ${this.options.sweepIntervalMs} ms`);
    };
    try {
      const claimed = this.store.claim(this.node, nowMs, this.options.nodeTimeoutMs);
      if (!(claimed instanceof Promise)) return adoptAndEnd(claimed);
      this.claiming = true;
      void claimed.then((rows) => !this.closed && adoptAndEnd(rows), claimFailed).finally(() => (this.claiming = false));
    } catch (error) {
      claimFailed(error);
    }
  }

  /** Ends, at their last activity, the plays silent for sessionIdleMs: a closed tab never calls endPlaySession. */
  private endIdleSessions(nowMs: number): void {
    for (const session of this.sessions.values()) {
      if (!session.ended && nowMs - session.lastSeenAtMs >= this.options.sessionIdleMs) this.endSession(session, session.lastSeenAtMs, 'Idle');
    }
  }

  /** Takes the plays claimed from stopped nodes (or an earlier run of this one): they go on, or end as idle. */
  private adopt(rows: readonly PlaySessionRow[]): void {
    for (const row of rows) {
      if (this.sessions.has(row.session_id)) continue;
      const session = PlaySession.fromRow(row);
      this.sessions.set(session.identity.sessionId, session);
      this.openSessionCount += 1;
      this.adopted.add(session);
    }
  }

  /** The play a call names, which must be open and held by this node. */
  private openSession(sessionId: unknown): PlaySession {
    const id = checkSessionId(sessionId);
    const session = this.sessions.get(id);
    if (session && !session.ended) return session;
    const ended = session ?? this.storedSession(id);
    if (!ended) throw unknownSession(id);
    if (!ended.ended) {
      throw new HlsaudioError('E_UNKNOWN_PLAY_SESSION', `Play session ${id} is held by another hlsaudio process sharing the database; report it there`, { field: 'session_id' });
    }
    throw new HlsaudioError('E_PLAY_SESSION_ENDED', `Play session ${id} has ended (${ended.endReason === 'Idle' ? 'idle too long' : 'ended by its player'}); start a new one`, {
      field: 'session_id',
    });
  }

  /** A play this node does not hold, read from the file (SQLite only: a synchronous read). */
  private storedSession(id: string): PlaySession | undefined {
    const row = this.store.findPlay?.(id);
    return row ? PlaySession.fromRow(row) : undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new HlsaudioError('E_ANALYTICS_CLOSED', 'The analytics store is closed');
  }
}

/** hostname/pid/random: readable in the nodes table, and new for each start (a restart is a new node). */
function defaultNode(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

function unknownSession(id: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_PLAY_SESSION', `No play session ${JSON.stringify(id)}`, { field: 'session_id' });
}
