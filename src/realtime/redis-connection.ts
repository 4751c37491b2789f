import { Redis, type RedisOptions } from 'ioredis';
import { HlsaudioError } from '../errors.js';
import { maskUrlCredentials } from '../url-credentials.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

export interface RedisConnectionOptions {
  url: string;
  /** Shown by CLIENT LIST (CLIENT SETNAME), so an operator can see, or kill, one node's connection. */
  name: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
  disconnectWaitMs: number;
  /** No answer to a command for this long: the socket is destroyed and reopened (ioredis `socketTimeout`). */
  socketTimeoutMs: number;
}

/**
 * One ioredis connection as the bus uses it: no offline queue and no command retried by ioredis
 * (a command sent while the connection is down fails at once, and one in flight when it drops is
 * rejected), because the publisher and the reader each know what to send again and from where.
 * Reconnection is ioredis's, with our backoff, once the first connection succeeded; `open` rejects
 * with E_REDIS, naming the masked URL, when that first connection fails.
 *
 * A `redis+sentinel://` URL gives ioredis the sentinels and the master's name: it asks a sentinel
 * for the master at each (re)connection, checks that the server it reached says `role:master`, and
 * (failoverDetector) drops the connection as soon as a sentinel announces `+switch-master`, so a
 * failover costs one reconnection, as an outage does.
 */
export async function openRedisConnection(options: RedisConnectionOptions): Promise<Redis> {
  let started = false;
  const retry = (attempt: number) => (started ? backoffMs(attempt, options.reconnectMinMs, options.reconnectMaxMs) : null);
  const target = parseRedisUrl(options.url);
  const common: RedisOptions = {
    connectionName: options.name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    disableClientInfo: true,
    connectTimeout: options.connectTimeoutMs,
    disconnectTimeout: options.disconnectWaitMs,
    socketTimeout: options.socketTimeoutMs,
    retryStrategy: retry,
    // Every sentinel unreachable: the same backoff (and, at the first connection, E_REDIS).
    sentinelRetryStrategy: retry,
    sentinelReconnectStrategy: (attempt) => backoffMs(attempt, options.reconnectMinMs, options.reconnectMaxMs),
  };
  const redis = target.kind === 'server' ? new Redis(options.url, common) : new Redis({ ...sentinelOptions(target), ...common });
  let lastError: Error | undefined;
  // Kept for the connection's life: ioredis prints an 'error' nobody listens to on the console, once
  // per failed reconnection attempt; RedisOutage reports outages instead.
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
  } catch (error) {
    if (redis.status !== 'end') redis.disconnect();
    const why = (lastError ?? (error as Error)).message;
    throw new HlsaudioError('E_REDIS', `cannot reach Redis at ${maskUrlCredentials(options.url)}: ${why}`, { field: '--redis', cause: error });
  }
  started = true;
  return redis;
}

/** ioredis's options for a master found through its sentinels. */
export function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>): RedisOptions {
  const { sentinels, name, db, username, password, sentinelPassword, tls } = target;
  return {
    sentinels,
    name,
    db,
    username,
    password,
    sentinelPassword,
    failoverDetector: true,
    // A write that reached the old master after it became a replica, before a sentinel said so: reconnect.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // rediss+sentinel://: TLS to Redis (which ioredis only does with enableTLSForSentinelMode) and to the sentinels.
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
  };
}

/**
 * Ends a connection: QUIT (Redis answers what is in flight first), or a plain disconnect when Redis
 * does not answer. Nothing for a connection already ended: ioredis's `disconnect()` would still arm
 * its disconnect timer there.
 */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  await redis.quit().catch(() => redis.disconnect());
}

/** Exponential backoff with ±20 % jitter, so that nodes cut off together do not retry together. */
export function backoffMs(attempt: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Resolves when the connection is ready, or when `stop` aborts (then `false`). */
export function whenReady(redis: Redis, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const ready = () => {
      stop.removeEventListener('abort', aborted);
      resolve(true);
    };
    const aborted = () => {
      redis.off('ready', ready);
      resolve(false);
    };
    redis.once('ready', ready);
    stop.addEventListener('abort', aborted, { once: true });
  });
}
