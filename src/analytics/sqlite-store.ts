import type { DatabaseSync } from 'node:sqlite';
import { displayPath } from '../errors.js';
import { BackgroundConnection, readOnConnection, type Reader } from './background.js';
import { BatchWriter, rollback } from './batch-writer.js';
import { openDatabase, type DatabaseOptions } from './database.js';
import { sqliteDialect } from './dialect.js';
import type { PlaySessionRow } from './play-session.js';
import { type AnalyticsStore, CLAIM_STATEMENTS, claimParams, LEAVE_STATEMENT, type WriteBatch } from './store.js';

/** SQLite's own default for `wal_autocheckpoint`, put back when the checkpoint worker stops. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** SQLITE_BUSY and SQLITE_LOCKED: another process held the file longer than busyTimeoutMs. */
const BUSY_CODES = new Set([5, 6]);

/**
 * The analytics in an SQLite file (node:sqlite), the default: WAL, one writing connection on the
 * event loop, and a worker thread (background.ts) for checkpoints and the summary reads. Several
 * processes may share the file (`serve --workers`): WAL lets them read while one writes, a write
 * waits up to busyTimeoutMs for another's (each holds the file a few ms), and the register of nodes
 * (store.ts) keeps each open play written by one process only.
 */
export class SqliteStore implements AnalyticsStore {
  readonly dialect = sqliteDialect;
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly writer: BatchWriter;
  private readonly background: BackgroundConnection;
  private closed = false;

  constructor(
    readonly file: string,
    options: DatabaseOptions & { checkpointIntervalMs: number },
  ) {
    this.location = displayPath(file);
    this.db = openDatabase(file, options);
    try {
      this.writer = new BatchWriter(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    if (options.checkpointIntervalMs > 0) this.db.exec('PRAGMA wal_autocheckpoint = 0');
    this.background = new BackgroundConnection(file, options, () => {
      if (!this.closed) this.db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    });
  }

  /** The worker thread's connection while it runs; the writing one, blocking, if it stopped. */
  get read(): Reader {
    return this.background.alive ? this.background.read : readOnConnection(this.db);
  }

  claim(node: string, nowMs: number, nodeTimeoutMs: number): PlaySessionRow[] {
    const params = claimParams(node, nowMs, nodeTimeoutMs);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.prepare(CLAIM_STATEMENTS[0]).run(...params[0]);
      this.db.prepare(CLAIM_STATEMENTS[1]).run(...params[1]);
      const rows = this.db.prepare(CLAIM_STATEMENTS[2]).all(...params[2]) as unknown as PlaySessionRow[];
      this.db.exec('COMMIT');
      return rows;
    } catch (error) {
      rollback(this.db);
      throw error;
    }
  }

  write(batch: WriteBatch): void {
    this.writer.write(batch);
  }

  isTransient(error: unknown): boolean {
    return BUSY_CODES.has((error as { errcode?: number } | undefined)?.errcode ?? -1);
  }

  findPlay(sessionId: string): PlaySessionRow | undefined {
    return this.db.prepare('SELECT * FROM play_sessions WHERE session_id = ?').get(sessionId) as unknown as PlaySessionRow | undefined;
  }

  /** Stops the worker thread, leaves the register and closes the file, even when leaving fails. */
  close(node: string): void {
    if (this.closed) return;
    this.background.stop();
    try {
      this.db.prepare(LEAVE_STATEMENT).run(node);
    } finally {
      this.closed = true;
      this.db.close();
    }
  }
}
