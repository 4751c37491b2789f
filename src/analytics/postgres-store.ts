import pg from 'pg';
import { HlsaudioError, isHlsaudioError } from '../errors.js';
import type { Reader } from './background.js';
import { ENDING, endingValues, identityValues, INSERT_COLUMNS, TOTALS, totalsValues } from './batch-writer.js';
import { postgresDialect } from './dialect.js';
import type { PlaySession, PlaySessionRow } from './play-session.js';
import { maskUrlCredentials } from '../url-credentials.js';
import { MIGRATIONS } from './schema.js';
import { type AnalyticsStore, CLAIM_STATEMENTS, claimParams, errorText, HEARTBEAT_STATEMENT, LEAVE_STATEMENT, type WriteBatch } from './store.js';

export interface PostgresStoreOptions {
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

/**
 * Advisory lock keys (any 64-bit number PostgreSQL's other users of the database are unlikely to
 * take): one for the migrations, one for the claims of open plays.
 */
const MIGRATION_LOCK = 7_308_332_217_845_071_001n;
const CLAIM_LOCK = 7_308_332_217_845_071_002n;
/** pg gives BIGINT (int8) and NUMERIC as strings; every number here is epoch ms or a count that a double holds exactly. */
const NUMBER_TYPES = new Set([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (NUMBER_TYPES.has(oid) ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};
/** SQLSTATE classes of a failure that may pass: connection (08), resources (53), operator intervention (57P), a conflict to retry (40). */
const TRANSIENT_SQLSTATE = /^(08|53|57P|40)/;

const logColumns = {
  progress_updates: ['session', 'at_ms', 'position_ms', 'buffer_health', 'credited_ms'],
  quality_switches: ['session', 'at_ms', 'from_quality', 'to_quality', 'reason'],
  rebuffers: ['session', 'at_ms', 'duration_ms'],
} as const;

/**
 * The analytics in PostgreSQL, through node-postgres: a small pool, parameterised statements only,
 * one transaction per batch. A batch is a handful of statements whatever its size: each table's
 * rows go as one JSON array parameter that `jsonb_populate_recordset` turns into rows of the
 * table's own type, so a network round trip is paid per table and not per row. Reads run in a
 * REPEATABLE READ transaction, one snapshot like SQLite's read transaction.
 */
export class PostgresStore implements AnalyticsStore {
  readonly dialect = postgresDialect;
  readonly location: string;

  private constructor(
    private readonly pool: pg.Pool,
    location: string,
  ) {
    this.location = location;
  }

  /**
   * Connects and brings the schema up to date, under an advisory lock so that nodes starting together
   * apply each migration once. Unreachable (or refused: credentials, no such database): E_DB, the URL
   * masked. A schema that cannot be applied, or one newer than this hlsaudio: E_ANALYTICS_DB.
   */
  static async connect(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const location = `PostgreSQL at ${maskUrlCredentials(url)}`;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      application_name: 'hlsaudio',
      types,
    });
    // An idle connection that breaks (the server restarts) is dropped by the pool; the next query opens another.
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      await pool.end();
      throw new HlsaudioError('E_DB', `${location} cannot be reached (${errorText(cause)})`, { cause });
    }
    try {
      await migrate(client, location);
      client.release();
    } catch (error) {
      client.release(true);
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool, location);
  }

  read: Reader = (statements) =>
    this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
      const results: Record<string, unknown>[][] = [];
      for (const { sql, params } of statements) results.push((await client.query(this.dialect.placeholders(sql), params)).rows);
      return results;
    });

  claim(node: string, nowMs: number, nodeTimeoutMs: number): Promise<PlaySessionRow[]> {
    const params = claimParams(node, nowMs, nodeTimeoutMs);
    return this.transaction('BEGIN', async (client) => {
      // Claims one at a time: a claim must see every node registered before it.
      await client.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
      await client.query(this.dialect.placeholders(CLAIM_STATEMENTS[0]), params[0]);
      await client.query(this.dialect.placeholders(CLAIM_STATEMENTS[1]), params[1]);
      return (await client.query(this.dialect.placeholders(CLAIM_STATEMENTS[2]), params[2])).rows as PlaySessionRow[];
    });
  }

  async write({ node, nowMs, rows, sessions }: WriteBatch): Promise<void> {
    // The snapshots are taken now: the plays go on changing while the batch is on its way.
    const fresh: PlaySession[] = [];
    const inserts: Record<string, unknown>[] = [];
    const totals: Record<string, unknown>[] = [];
    const endings: Record<string, unknown>[] = [];
    for (const session of sessions) {
      if (session.key === undefined) {
        fresh.push(session);
        inserts.push(record(INSERT_COLUMNS, [...identityValues(session), ...totalsValues(session), ...endingValues(session), node]));
      } else {
        totals.push(record(['id', ...TOTALS], [session.key, ...totalsValues(session)]));
        if (session.ended) endings.push(record(['id', ...ENDING], [session.key, ...endingValues(session)]));
      }
    }
    try {
      await this.transaction('BEGIN', async (client) => {
        await client.query(this.dialect.placeholders(HEARTBEAT_STATEMENT), [node, nowMs, nowMs]);
        if (inserts.length > 0) {
          const columns = INSERT_COLUMNS.join(', ');
          const inserted = await client.query<{ id: number; session_id: string }>(
            `INSERT INTO play_sessions (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::play_sessions, $1::jsonb) RETURNING id, session_id`,
            [JSON.stringify(inserts)],
          );
          const ids = new Map(inserted.rows.map((row) => [row.session_id, row.id]));
          for (const session of fresh) session.key = ids.get(session.identity.sessionId);
        }
        const logs: Record<keyof typeof logColumns, Record<string, unknown>[]> = { progress_updates: [], quality_switches: [], rebuffers: [] };
        for (const row of rows) {
          const key = row.session.key!;
          if (row.kind === 'progress') logs.progress_updates.push({ session: key, at_ms: row.atMs, position_ms: row.positionMs, buffer_health: row.bufferHealth, credited_ms: row.creditedMs });
          else if (row.kind === 'switch') logs.quality_switches.push({ session: key, at_ms: row.atMs, from_quality: row.from, to_quality: row.to, reason: row.reason });
          else logs.rebuffers.push({ session: key, at_ms: row.atMs, duration_ms: row.durationMs });
        }
        for (const [table, entries] of Object.entries(logs) as [keyof typeof logColumns, Record<string, unknown>[]][]) {
          if (entries.length === 0) continue;
          const columns = logColumns[table].join(', ');
          await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`, [JSON.stringify(entries)]);
        }
        // Apart, as on SQLite: the ending columns are those of the open-plays index.
        for (const [columns, entries] of [[TOTALS, totals], [ENDING, endings]] as const) {
          if (entries.length === 0) continue;
          await client.query(
            `UPDATE play_sessions AS p SET ${columns.map((column) => `${column} = v.${column}`).join(', ')}
             FROM jsonb_populate_recordset(NULL::play_sessions, $1::jsonb) AS v WHERE p.id = v.id AND p.node = $2`,
            [JSON.stringify(entries), node],
          );
        }
      });
    } catch (error) {
      for (const session of fresh) session.key = undefined;
      throw error;
    }
  }

  isTransient(error: unknown): boolean {
    const code = (error as { code?: unknown } | undefined)?.code;
    // A SQLSTATE is five characters; anything else (ECONNREFUSED, no code: "Connection terminated") is the network.
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
    return TRANSIENT_SQLSTATE.test(code);
  }

  async close(node: string): Promise<void> {
    try {
      await this.pool.query(this.dialect.placeholders(LEAVE_STATEMENT), [node]);
    } finally {
      await this.pool.end();
    }
  }

  /** Runs `body` in a transaction begun by `begin` on a pooled connection; a connection that failed is not reused. */
  private async transaction<T>(begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const result = await body(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw error;
    }
  }
}

/** Applies the missing migrations of schema.ts in one transaction, under the migration lock. */
async function migrate(client: pg.PoolClient, location: string): Promise<void> {
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  let version = 0;
  try {
    await client.query('BEGIN');
    // Held until COMMIT: a node starting meanwhile waits here, then finds the schema up to date.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS analytics_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM analytics_schema');
    const current = rows[0]?.version ?? 0;
    if (current > latest) throw new HlsaudioError('E_ANALYTICS_DB', `${location}: analytics schema ${current} was written by a newer hlsaudio (this one reads up to ${latest})`);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      version = migration.version;
      await client.query(postgresDialect.migration(migration.sql));
    }
    if (rows.length === 0) await client.query('INSERT INTO analytics_schema (version) VALUES ($1)', [latest]);
    else await client.query('UPDATE analytics_schema SET version = $1', [latest]);
    await client.query('COMMIT');
  } catch (cause) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isHlsaudioError(cause)) throw cause;
    const what = version === 0 ? 'cannot read the analytics schema' : `cannot apply analytics schema ${version}`;
    throw new HlsaudioError('E_ANALYTICS_DB', `${location}: ${what} (${errorText(cause)})`, { cause });
  }
}

function record(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((column, index) => [column, values[index]]));
}
