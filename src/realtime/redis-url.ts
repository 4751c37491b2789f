import { optionError } from '../errors.js';
import { maskUrlCredentials, parseUrl } from '../url-credentials.js';

/**
 * The Redis URL forms `--redis` (or HLSAUDIO_REDIS_URL) takes, and the only place that knows them:
 * - `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS): one Redis server;
 * - `redis+sentinel://[user:password@]host1[:26379],host2[:26379]/<master-name>[/<db>][?sentinelPassword=…]`,
 *   `rediss+sentinel://…` (TLS to the sentinels and to Redis): the master that Redis Sentinel names,
 *   followed through failovers. The spelling is the one of redis-vl, Prefect and Redis-Sentinel-Url;
 *   user and password are Redis's, `sentinelPassword` the sentinels' (Redis Sentinel's `requirepass`).
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      /** The master's name in the sentinels' configuration (`sentinel monitor <name> …`). */
      name: string;
      db: number;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      tls: boolean;
    };

const EXPECTED = 'a URL such as redis://host:6379, rediss://user:password@host:6380/0 or redis+sentinel://host1:26379,host2:26379/mymaster';
/** Redis Sentinel's own port, used for a sentinel named without one. */
const SENTINEL_DEFAULT_PORT = 26379;

/** Checks `--redis` (or HLSAUDIO_REDIS_URL); the message shows the URL with its passwords masked. */
export function checkRedisUrl(value: string, field = '--redis'): string {
  parseRedisUrl(value, field);
  return value;
}

/** What `--redis` names; refused as checkRedisUrl says when it is none of the forms above. */
export function parseRedisUrl(value: string, field = '--redis'): RedisTarget {
  const target = redisTarget(value);
  if (!target) throw optionError(field, EXPECTED, maskUrlCredentials(value));
  return target;
}

/** What a Redis URL names, or undefined when it is not one of the forms above. */
export function redisTarget(value: string): RedisTarget | undefined {
  const sentinel = /^(rediss?)\+sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]*)\/([^/?#]+)(?:\/([^/?#]*))?\/?(?:\?([^#]*))?$/i.exec(value);
  if (sentinel) {
    const [, scheme, userInfo, hostList, name, dbText, query] = sentinel;
    const sentinels = hostList!.split(',').map(hostPort);
    if (sentinels.length === 0 || sentinels.some((entry) => entry === undefined)) return undefined;
    if (dbText !== undefined && !/^\d{1,5}$/.test(dbText)) return undefined;
    const params = new URLSearchParams(query ?? '');
    if ([...params.keys()].some((key) => key !== 'sentinelPassword')) return undefined;
    const [user, password] = userInfo === undefined ? [] : splitUserInfo(userInfo);
    return {
      kind: 'sentinel',
      sentinels: sentinels as { host: string; port: number }[],
      name: decode(name!),
      db: dbText === undefined ? 0 : Number(dbText),
      ...(user ? { username: user } : {}),
      ...(password ? { password } : {}),
      ...(params.get('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword')! } : {}),
      tls: scheme!.toLowerCase() === 'rediss',
    };
  }
  const url = parseUrl(value);
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') return undefined;
  return { kind: 'server', url: value };
}

/** `host`, `host:port` or `[v6]:port`; undefined for an empty host or a port out of 1-65535. */
function hostPort(entry: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i.exec(entry);
  if (!match) return undefined;
  const port = match[2] === undefined ? SENTINEL_DEFAULT_PORT : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function splitUserInfo(userInfo: string): [string, string] {
  const colon = userInfo.indexOf(':');
  return colon < 0 ? [decode(userInfo), ''] : [decode(userInfo.slice(0, colon)), decode(userInfo.slice(colon + 1))];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
