import type { Reader } from './background.js';
import type { QueuedRow } from './batch-writer.js';
import type { SqlDialect } from './dialect.js';
import type { PlaySession, PlaySessionRow } from './play-session.js';

/** A value now (SQLite, on the event loop) or later (PostgreSQL, over the network). */
export type MaybePromise<T> = T | Promise<T>;

/** One write: the queued rows and a snapshot of every play they or the calls touched, by `node`. */
export interface WriteBatch {
  node: string;
  nowMs: number;
  rows: readonly QueuedRow[];
  sessions: ReadonlySet<PlaySession>;
}

/**
 * Where the analytics live: an SQLite file (sqlite-store.ts) or a PostgreSQL database
 * (postgres-store.ts). The engine keeps the plays in memory and queues rows; a store writes a batch
 * in one transaction, answers the reads of queries.ts, and keeps the register of nodes that says
 * which node holds which open play. The SQLite store answers at once; PostgreSQL's in promises.
 */
export interface AnalyticsStore {
  /** Where, for messages: the file, or the URL with its password masked. */
  readonly location: string;
  readonly dialect: SqlDialect;
  /** Reads in one snapshot (queries.ts), off the event loop. */
  readonly read: Reader;
  /**
   * Says that `node` is alive, forgets the nodes unseen for `nodeTimeoutMs`, and gives `node` the
   * open plays no live node holds (left by a node that stopped or died), as rows now held by it.
   */
  claim(node: string, nowMs: number, nodeTimeoutMs: number): MaybePromise<PlaySessionRow[]>;
  /**
   * Writes a batch in one transaction, all or nothing; a play gets its `key` when first written (and
   * loses it again if the transaction fails). Only the plays `node` holds are updated.
   */
  write(batch: WriteBatch): MaybePromise<void>;
  /** Whether a failed write may succeed later as it is (the database is away or busy): its rows are then kept. */
  isTransient(error: unknown): boolean;
  /** A stored play by session id, when the store can answer at once (SQLite); undefined otherwise. */
  findPlay?(sessionId: string): PlaySessionRow | undefined;
  /** Removes `node` from the register (its open plays are adopted by the next sweep anywhere), and closes. */
  close(node: string): MaybePromise<void>;
}

/**
 * The statements of a claim, in this order, in one transaction that no other claim runs beside
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock). Parameters: node, now, now; the oldest
 * time a live node was seen; node.
 */
export const CLAIM_STATEMENTS = [
  `INSERT INTO analytics_nodes (node, started_at_ms, seen_at_ms) VALUES (?, ?, ?)
   ON CONFLICT (node) DO UPDATE SET seen_at_ms = excluded.seen_at_ms`,
  'DELETE FROM analytics_nodes WHERE seen_at_ms < ?',
  `UPDATE play_sessions SET node = ?
   WHERE ended_at_ms IS NULL AND (node IS NULL OR node NOT IN (SELECT node FROM analytics_nodes))
   RETURNING *`,
] as const;

export function claimParams(node: string, nowMs: number, nodeTimeoutMs: number): [[string, number, number], [number], [string]] {
  return [[node, nowMs, nowMs], [nowMs - nodeTimeoutMs], [node]];
}

/** Said with each write: the node is alive (and back in the register if it had been forgotten). */
export const HEARTBEAT_STATEMENT = CLAIM_STATEMENTS[0];

export const LEAVE_STATEMENT = 'DELETE FROM analytics_nodes WHERE node = ?';

/** An error's message; a connection refused on every address of a name is an AggregateError with none. */
export function errorText(error: unknown): string {
  const { message, code, errors } = (error ?? {}) as { message?: string; code?: string; errors?: unknown[] };
  if (message) return message;
  if (errors?.length) return errorText(errors[0]);
  return code ?? String(error);
}
