import { optionError } from '../errors.js';

/** Whether `--db` names a PostgreSQL database rather than an SQLite file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}

/**
 * A PostgreSQL URL as it may be shown: the password replaced by `***`, in the user part and in a
 * `password` parameter (as maskRedisUrl does for Redis). Every message that names the database goes
 * through this.
 */
export function maskPostgresUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.href;
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&]password=)[^&]*/i, '$1***');
  }
}

/** Checks a PostgreSQL URL of `--db` (or HLSAUDIO_DB_URL): postgres:// with a host and a database name. */
export function checkPostgresUrl(value: string, field = '--db'): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !isPostgresUrl(value) || url.hostname === '' || url.pathname.length <= 1) {
    throw optionError(field, 'an SQLite file or a URL such as postgres://user:password@host:5432/database', maskPostgresUrl(value));
  }
  return value;
}
