import { optionError } from '../errors.js';
import { maskUrlCredentials, parseUrl } from '../url-credentials.js';

/** Checks `--redis` (or HLSAUDIO_REDIS_URL): `redis://` or `rediss://` (TLS) with a host. */
export function checkRedisUrl(value: string, field = '--redis'): string {
  const url = parseUrl(value);
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw optionError(field, 'a URL such as redis://host:6379 or rediss://user:password@host:6380/0', maskUrlCredentials(value));
  }
  return value;
}
