import type { DatabaseSync } from 'node:sqlite';
import { openSqlite } from '../sqlite.js';
import { MIGRATIONS } from './schema.js';

export interface DatabaseOptions {
  synchronous: 'NORMAL' | 'FULL';
  busyTimeoutMs: number;
}

/** Opens (or creates) the analytics database, WAL, its schema brought up to date (sqlite.ts). */
export function openDatabase(file: string, options: DatabaseOptions): DatabaseSync {
  return openSqlite(file, { ...options, migrations: MIGRATIONS, code: 'E_ANALYTICS_DB', what: 'analytics' });
}
