import type { Redis } from 'ioredis';
import { redisOptions, redisSessionOptions } from '../defaults.js';
import { HlsaudioError, isHlsaudioError, optionError } from '../errors.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import { closeRedisConnection, openRedisConnection } from '../realtime/redis-connection.js';
import type { RedisOutage } from '../realtime/redis-outage.js';
import { maskUrlCredentials } from '../url-credentials.js';
import { CLAIM_SCRIPT, CREATE_SCRIPT, REMOVE_SCRIPT, REPLACE_SCRIPT } from './redis-session-scripts.js';
import type { SessionRecord } from './session-record.js';
import { copyOf, type CreateOutcome, type SessionLimits, type SessionStore, type VersionedRecord } from './session-store.js';
import type { StatsCounters } from './stats.js';

type Limits = OptionValues<typeof redisSessionOptions>;

export interface RedisSessionStoreOptions extends Partial<Limits> {
  /** redisOptions.keyPrefix: the nodes of one cluster share it. */
  keyPrefix: string;
  /** The Redis URL with its password masked, for error messages. */
  where: string;
}

/** What `serve --redis` gives: the URL, this node's id (the broker's), the bus's connection options and ours. */
export type RedisSessionConnectOptions = Partial<OptionValues<typeof redisOptions>> &
  Partial<Limits> & {
    url: string;
    nodeId: string;
    /** The node's outage (`serve`), told when this connection is down: `/healthz` says so. */
    outage?: RedisOutage;
  };

type Script = (...args: (string | number)[]) => Promise<unknown>;
type Scripts = Record<'hlsaudioSessionCreate' | 'hlsaudioSessionReplace' | 'hlsaudioSessionRemove' | 'hlsaudioSessionClaim', Script>;

/** Records a pipeline reads at once for the stats. */
const LIST_CHUNK = 500;

/**
 * The sessions of every `serve --redis` node, in Redis (layout and scripts: redis-session-scripts.ts).
 * Changes are optimistic: a writer names the version it read and a script compares and sets, so
 * requests racing on one session from two nodes never lose a change, and no lock is held across a
 * round trip. Quotas, ends and expiry are one script each, atomic. The connection is the caller's
 * (openRedisConnection: no offline queue), so a call while Redis is unreachable fails at once, as
 * E_UNAVAILABLE (503 with Retry-After). This node keeps a bounded copy of the sessions it read or
 * wrote, for the event server's synchronous look-ups (`cached`).
 */
export class RedisSessionStore implements SessionStore {
  private readonly base: string;
  private readonly options: Limits;
  private readonly scripts: Scripts;
  private readonly copies = new Map<string, SessionRecord>();
  private readonly where: string;
  private lastCount = 0;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    options: RedisSessionStoreOptions,
  ) {
    this.options = resolveOptions(redisSessionOptions, options, optionError);
    this.base = `${options.keyPrefix}:{sessions}`;
    redis.defineCommand('hlsaudioSessionCreate', { numberOfKeys: 4, lua: CREATE_SCRIPT });
    redis.defineCommand('hlsaudioSessionReplace', { numberOfKeys: 3, lua: REPLACE_SCRIPT });
    redis.defineCommand('hlsaudioSessionRemove', { numberOfKeys: 3, lua: REMOVE_SCRIPT });
    redis.defineCommand('hlsaudioSessionClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.scripts = redis as unknown as Scripts;
    this.where = options.where;
  }

  /**
   * Opens the store's own connection, named `hlsaudio-sessions-<nodeId>` in CLIENT LIST; rejects
   * with E_REDIS (the URL masked) when Redis cannot be reached. `close` ends it.
   */
  static async connect(options: RedisSessionConnectOptions): Promise<RedisSessionStore> {
    const { url, nodeId, outage, ...rest } = options;
    const bus = resolveOptions(redisOptions, rest, optionError);
    const redis = await openRedisConnection({ ...bus, url, name: `hlsaudio-sessions-${nodeId}` });
    const store = new RedisSessionStore(redis, { ...rest, keyPrefix: bus.keyPrefix, where: maskUrlCredentials(url) });
    store.unwatch = outage?.watch(redis, 'sessions', { without: 'the streaming sessions API answers 503 (E_UNAVAILABLE)' });
    return store;
  }

  /** Ends the connection (after the HTTP server stopped: no request is left to answer). */
  async close(): Promise<void> {
    this.unwatch?.();
    await closeRedisConnection(this.redis);
  }

  create(record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome> {
    return this.guard(async () => {
      const id = record.session.session_id;
      const reply = (await this.scripts.hlsaudioSessionCreate(
        this.all,
        this.holderKey(record.holder),
        this.sessionKey(id),
        this.countersKey,
        this.base,
        id,
        record.lastSeenMs,
        limits.idleDeadlineMs,
        limits.holderQuota,
        limits.maxSessions,
        JSON.stringify(record),
        record.holder,
        this.ttlMs(limits.idleMs),
        this.options.claimBatch,
      )) as [string, string, number, string[]];
      const [outcome, oldest, open, ended] = reply;
      this.lastCount = open;
      const expired = this.ended(ended);
      if (outcome === 'created') {
        this.remember(record);
        return { created: true, expired };
      }
      return { created: false, full: outcome === 'holder' ? 'holder' : 'all', oldestSeenMs: Number(oldest), expired };
    });
  }

  load(sessionId: string): Promise<VersionedRecord | undefined> {
    return this.guard(async () => {
      const [version, json] = await this.redis.hmget(this.sessionKey(sessionId), 'v', 'r');
      if (version === null || json === null) {
        this.copies.delete(sessionId);
        return undefined;
      }
      const record = JSON.parse(json) as SessionRecord;
      this.remember(record);
      return { record: copyOf(record), version: Number(version) };
    });
  }

  replace(record: SessionRecord, version: number, idleMs: number): Promise<{ outcome: 'replaced'; version: number } | { outcome: 'conflict' | 'gone' }> {
    return this.guard(async () => {
      const id = record.session.session_id;
      const json = JSON.stringify(record);
      const next = Number(await this.scripts.hlsaudioSessionReplace(this.sessionKey(id), this.all, this.holderKey(record.holder), version, json, record.lastSeenMs, this.ttlMs(idleMs), id));
      if (next === -1) {
        this.copies.delete(id);
        return { outcome: 'gone' };
      }
      if (next === 0) return { outcome: 'conflict' };
      this.remember(JSON.parse(json) as SessionRecord);
      return { outcome: 'replaced', version: next };
    });
  }

  remove(sessionId: string): Promise<SessionRecord | undefined> {
    return this.guard(async () => {
      const json = (await this.scripts.hlsaudioSessionRemove(this.sessionKey(sessionId), this.all, this.countersKey, this.base, sessionId)) as string | null;
      this.copies.delete(sessionId);
      if (json === null) return undefined;
      this.lastCount = Math.max(0, this.lastCount - 1);
      return JSON.parse(json) as SessionRecord;
    });
  }

  claimExpired(deadlineMs: number): Promise<SessionRecord[]> {
    return this.guard(async () => {
      const expired: SessionRecord[] = [];
      // In batches, so that one script never holds Redis long; each batch is atomic.
      for (;;) {
        const [looked, open, ended] = (await this.scripts.hlsaudioSessionClaim(this.all, this.base, deadlineMs, this.options.claimBatch)) as [number, number, string[]];
        this.lastCount = open;
        expired.push(...this.ended(ended));
        if (looked < this.options.claimBatch) return expired;
      }
    });
  }

  list(): Promise<SessionRecord[]> {
    return this.guard(async () => {
      const ids = await this.redis.zrange(this.all, 0, -1);
      this.lastCount = ids.length;
      const records: SessionRecord[] = [];
      for (let start = 0; start < ids.length; start += LIST_CHUNK) {
        const pipeline = this.redis.pipeline();
        for (const id of ids.slice(start, start + LIST_CHUNK)) pipeline.hget(this.sessionKey(id), 'r');
        for (const [error, json] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          // Ended between the two reads: not open any more.
          if (typeof json === 'string') records.push(JSON.parse(json) as SessionRecord);
        }
      }
      return records;
    });
  }

  counters(): Promise<StatsCounters> {
    return this.guard(async () => {
      const [created, ended, expired] = await this.redis.hmget(this.countersKey, 'created', 'ended', 'expired');
      return { created: Number(created ?? 0), ended: Number(ended ?? 0), expired: Number(expired ?? 0) };
    });
  }

  get size(): number {
    return this.lastCount;
  }

  cached(sessionId: string): SessionRecord | undefined {
    return this.copies.get(sessionId);
  }

  /** The newest copy goes last; beyond `localCopies`, the least recently seen is dropped. */
  private remember(record: SessionRecord): void {
    if (this.options.localCopies === 0) return;
    const id = record.session.session_id;
    this.copies.delete(id);
    this.copies.set(id, record);
    if (this.copies.size > this.options.localCopies) this.copies.delete(this.copies.keys().next().value!);
  }

  private ended(records: string[]): SessionRecord[] {
    return records.map((json) => {
      const record = JSON.parse(json) as SessionRecord;
      this.copies.delete(record.session.session_id);
      return record;
    });
  }

  /** A Redis failure (unreachable, timed out) becomes a 503 the client may retry; our own errors pass. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isHlsaudioError(error)) throw error;
      throw new HlsaudioError('E_UNAVAILABLE', `Streaming sessions are unavailable: Redis at ${this.where} does not answer (${(error as Error)?.message ?? String(error)}); try again shortly`, {
        retryAfterSec: this.options.unavailableRetryAfterSec,
        cause: error,
      });
    }
  }

  private ttlMs(idleMs: number): number {
    return idleMs + this.options.recordGraceMs;
  }

  private get all(): string {
    return `${this.base}:all`;
  }

  private get countersKey(): string {
    return `${this.base}:counters`;
  }

  private sessionKey(sessionId: string): string {
    return `${this.base}:s:${sessionId}`;
  }

  private holderKey(holder: string): string {
    return `${this.base}:holder:${holder}`;
  }
}

