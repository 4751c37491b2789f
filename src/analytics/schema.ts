import type { Migration } from '../sqlite.js';

/**
 * The database schema as numbered migrations, applied in order, each in its own transaction, the
 * number kept in `PRAGMA user_version` (SQLite) or the table analytics_schema (PostgreSQL). Written
 * in SQLite's SQL; dialect.ts turns the few types that differ into PostgreSQL's, so both stores
 * have the same tables and columns. A shipped migration is never edited: a change is a new one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- One row per play. The running totals are rewritten by each write that touches the play, so
      -- that the summary reads one row per play and never the progress log.
      CREATE TABLE play_sessions (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL UNIQUE,
        user_id TEXT,
        track_id TEXT NOT NULL,
        ip TEXT NOT NULL,
        user_agent TEXT,
        platform TEXT NOT NULL,
        referrer TEXT,
        duration_ms INTEGER NOT NULL,
        start_quality TEXT NOT NULL,
        quality TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        last_seen_at_ms INTEGER NOT NULL,
        last_progress_at_ms INTEGER NOT NULL,
        position_ms INTEGER NOT NULL,
        listened_ms INTEGER NOT NULL DEFAULT 0,
        covered_ms INTEGER NOT NULL DEFAULT 0,
        covered_ranges TEXT NOT NULL DEFAULT '[]',
        quality_listened_ms TEXT NOT NULL DEFAULT '{}',
        progress_updates INTEGER NOT NULL DEFAULT 0,
        buffer_health_sum REAL NOT NULL DEFAULT 0,
        buffer_health_reports INTEGER NOT NULL DEFAULT 0,
        quality_switches INTEGER NOT NULL DEFAULT 0,
        rebuffers INTEGER NOT NULL DEFAULT 0,
        rebuffer_ms INTEGER NOT NULL DEFAULT 0,
        ended_at_ms INTEGER,
        end_reason TEXT,
        completed INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX play_sessions_by_track ON play_sessions (track_id, started_at_ms);
      CREATE INDEX play_sessions_by_start ON play_sessions (started_at_ms);
      -- Plays left open, found when the store opens. Only starting and ending a play touch this index.
      CREATE INDEX play_sessions_open ON play_sessions (id) WHERE ended_at_ms IS NULL;

      -- Append-only logs. Progress has no index beyond the rowid: an index would be written with every report.
      CREATE TABLE progress_updates (
        session INTEGER NOT NULL REFERENCES play_sessions (id),
        at_ms INTEGER NOT NULL,
        position_ms INTEGER NOT NULL,
        buffer_health REAL,
        credited_ms INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE quality_switches (
        session INTEGER NOT NULL REFERENCES play_sessions (id),
        at_ms INTEGER NOT NULL,
        from_quality TEXT NOT NULL,
        to_quality TEXT NOT NULL,
        reason TEXT NOT NULL
      ) STRICT;
      -- A few switches per play: an index is cheap here, and a track's details group them by play.
      CREATE INDEX quality_switches_by_session ON quality_switches (session);
      CREATE TABLE rebuffers (
        session INTEGER NOT NULL REFERENCES play_sessions (id),
        at_ms INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      -- One vocabulary of quality-change reasons (streaming's QualityChangeReason). Version 1 stored
      -- the analytics' own names; \`Bandwidth\` covered both the monitor's step down and its step up
      -- on headroom, which can no longer be told apart, so it becomes \`bandwidth\`. \`Error\` was
      -- never written by serve; a library caller meant a player's own switch.
      UPDATE quality_switches SET reason = CASE reason
        WHEN 'Auto' THEN 'player'
        WHEN 'User' THEN 'user'
        WHEN 'Bandwidth' THEN 'bandwidth'
        WHEN 'BufferHealth' THEN 'buffer_low'
        WHEN 'PacketLoss' THEN 'packet_loss'
        WHEN 'Latency' THEN 'latency'
        WHEN 'Rebuffer' THEN 'rebuffer'
        WHEN 'Error' THEN 'player'
        ELSE reason
      END;
    `,
  },
  {
    version: 3,
    sql: `
      -- Several processes (serve --workers on one file) or nodes (one PostgreSQL) write one database.
      -- Each open play is held by one node, the one that started it or adopted it: only that node
      -- writes it or ends it. A node says it is alive with each write and each sweep (seen_at_ms);
      -- the plays of a node unseen for nodeTimeoutMs, or left by a node that closed, or written
      -- before this column (NULL), are adopted by the next node that sweeps.
      ALTER TABLE play_sessions ADD COLUMN node TEXT;
      CREATE TABLE analytics_nodes (
        node TEXT PRIMARY KEY,
        started_at_ms INTEGER NOT NULL,
        seen_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
