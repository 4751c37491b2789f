import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { displayPath, errnoText, HlsaudioError, isHlsaudioError } from '../errors.js';
import { migrate } from './schema.js';

export interface DatabaseOptions {
  synchronous: 'NORMAL' | 'FULL';
  busyTimeoutMs: number;
}

/**
 * Opens (or creates) the analytics database in WAL mode and brings its schema up to date. WAL lets a
 * committed write survive a crash of the process, and lets readers (`sqlite3` on the file) run
 * while the server writes.
 */
export function openDatabase(file: string, options: DatabaseOptions): DatabaseSync {
  // Through getBuiltinModule so that a Node without node:sqlite (22.12 and older need a flag) gets
  // an error that says so, not a failed import of the whole serve command.
  const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
  if (!sqlite) {
    throw new HlsaudioError('E_ANALYTICS_DB', `Listening analytics need node:sqlite, which Node ${process.version} does not offer (Node 22.13 or later has it)`);
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (cause) {
    throw new HlsaudioError('E_ANALYTICS_DB', `${displayPath(dirname(file))}: cannot create the analytics folder (${errnoText(cause)})`, { file, cause });
  }
  let db: DatabaseSync;
  try {
    db = new sqlite.DatabaseSync(file, { timeout: options.busyTimeoutMs });
  } catch (cause) {
    throw new HlsaudioError('E_ANALYTICS_DB', `${displayPath(file)}: cannot open the analytics database (${(cause as Error).message})`, { file, cause });
  }
  try {
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode !== 'wal') throw new Error(`journal mode stays "${mode}"`);
    db.exec(`PRAGMA synchronous = ${options.synchronous}`);
    migrate(db, file);
    return db;
  } catch (cause) {
    db.close();
    if (isHlsaudioError(cause)) throw cause;
    throw new HlsaudioError('E_ANALYTICS_DB', `${displayPath(file)}: not an analytics database hlsaudio can use (${(cause as Error).message})`, { file, cause });
  }
}
