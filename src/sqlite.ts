import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { displayPath, type ErrorCode, errnoText, HlsaudioError, isHlsaudioError } from './errors.js';

/** A schema change: applied once, in order, in its own transaction; a shipped one is never edited. */
export interface Migration {
  version: number;
  sql: string;
}

export interface SqliteOptions {
  synchronous: 'NORMAL' | 'FULL';
  busyTimeoutMs: number;
  migrations: readonly Migration[];
  /** The code of every error about this file (E_ANALYTICS_DB, E_DATA). */
  code: ErrorCode;
  /** What the file holds, in messages: `analytics` gives "not an analytics database", "analytics schema 2". */
  what: string;
}

/**
 * Opens (or creates) an SQLite file of hlsaudio in WAL mode and brings its schema up to date, the
 * version kept in `PRAGMA user_version`. WAL lets a committed write survive a crash of the process,
 * and lets readers (`sqlite3` on the file) run while the server writes. A file written by a newer
 * hlsaudio is refused, never downgraded.
 */
export function openSqlite(file: string, options: SqliteOptions): DatabaseSync {
  const { code, what } = options;
  // Through getBuiltinModule so that a Node without node:sqlite (22.12 and older need a flag) gets
  // an error that says so, not a failed import of the whole serve command.
  const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
  if (!sqlite) throw new HlsaudioError(code, `The ${what} database needs node:sqlite, which Node ${process.version} does not offer (Node 22.13 or later has it)`);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (cause) {
    throw new HlsaudioError(code, `${displayPath(dirname(file))}: cannot create the ${what} folder (${errnoText(cause)})`, { file, cause });
  }
  let db: DatabaseSync;
  try {
    db = new sqlite.DatabaseSync(file, { timeout: options.busyTimeoutMs });
  } catch (cause) {
    throw new HlsaudioError(code, `${displayPath(file)}: cannot open the ${what} database (${(cause as Error).message})`, { file, cause });
  }
  try {
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode !== 'wal') throw new Error(`journal mode stays "${mode}"`);
    db.exec(`PRAGMA synchronous = ${options.synchronous}`);
    migrate(db, file, options);
    return db;
  } catch (cause) {
    db.close();
    if (isHlsaudioError(cause)) throw cause;
    throw new HlsaudioError(code, `${displayPath(file)}: not ${article(what)} ${what} database hlsaudio can use (${(cause as Error).message})`, { file, cause });
  }
}

function migrate(db: DatabaseSync, file: string, { migrations, code, what }: SqliteOptions): void {
  const latest = migrations[migrations.length - 1]!.version;
  const { user_version: current } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (current > latest) {
    throw new HlsaudioError(code, `${displayPath(file)}: ${what} schema ${current} was written by a newer hlsaudio (this one reads up to ${latest})`, { file });
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Read again under the write lock: another process opening the same new file (serve --workers)
      // may have applied it since.
      const { user_version: now } = db.prepare('PRAGMA user_version').get() as { user_version: number };
      if (migration.version <= now) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec('COMMIT');
    } catch (cause) {
      db.exec('ROLLBACK');
      throw new HlsaudioError(code, `${displayPath(file)}: cannot apply ${what} schema ${migration.version} (${(cause as Error).message})`, { file, cause });
    }
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
