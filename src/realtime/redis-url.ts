import { optionError } from '../errors.js';

/**
 * A Redis URL as it may be shown: the password replaced by `***`. Every message and log line that
 * names the server goes through this, since URLs carry credentials (`redis://user:secret@host`).
 */
export function maskRedisUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    // Unparsable: hide whatever sits where credentials would.
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Checks `--redis` (or HLSAUDIO_REDIS_URL): `redis://` or `rediss://` (TLS) with a host. */
export function checkRedisUrl(value: string, field = '--redis'): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw optionError(field, 'a URL such as redis://host:6379 or rediss://user:password@host:6380/0', maskRedisUrl(value));
  }
  return value;
}
