import { optionError } from '../errors.js';
import { maskUrlCredentials, parseUrl } from '../url-credentials.js';

/** Whether `--db` names a PostgreSQL database rather than an SQLite file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}

/** Checks a PostgreSQL URL of `--db` (or HLSAUDIO_DB_URL): postgres:// with a host and a database name. */
export function checkPostgresUrl(value: string, field = '--db'): string {
  const url = parseUrl(value);
  if (!url || !isPostgresUrl(value) || url.hostname === '' || url.pathname.length <= 1) {
    throw optionError(field, 'an SQLite file or a URL such as postgres://user:password@host:5432/database', maskUrlCredentials(value));
  }
  return value;
}
