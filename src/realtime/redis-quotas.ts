import type { Redis } from 'ioredis';
import { Tally } from '../tally.js';
import type { ConnectionQuotas, QuotaAsk, QuotaReservation } from './connection-quotas.js';
import { type PresenceKeys, RELEASE_SCRIPT, RESERVE_SCRIPT, RESYNC_SCRIPT } from './redis-presence-scripts.js';

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * ConnectionQuotas across nodes: each node counts the connections it holds per user and per address
 * (its own count is the truth) and keeps a copy in its holds hash in Redis, which expires with the
 * node; an upgrade's check sums the live nodes' hashes and takes the place in one script
 * (redis-presence-scripts.ts), so nodes racing for a user's last place cannot both get it.
 *
 * When Redis cannot answer (down, or not within quotaCheckTimeoutMs), an upgrade is let in on this
 * node's count alone (the caller checked it), counted here, and the copy is rewritten whole at the
 * next heartbeat that reaches Redis; so is one a release could not update.
 */
export class RedisQuotas implements ConnectionQuotas {
  private readonly held = new Tally();
  private readonly run: Record<'reserve' | 'release' | 'resync', ScriptCommand>;
  private readonly holdsKey: string;
  /** The copy in Redis may differ from `held`: rewrite it at the next heartbeat. */
  private stale = true;
  /** Counts rewrites: a reservation answered after one began was wiped by it. */
  private rewrites = 0;

  constructor(
    redis: Redis,
    private readonly keys: PresenceKeys,
    private readonly nodeId: string,
    private readonly options: { presenceTtlMs: number; quotaCheckTimeoutMs: number },
  ) {
    this.holdsKey = keys.holds + nodeId;
    redis.defineCommand('hlsaudioReserve', { numberOfKeys: 2, lua: RESERVE_SCRIPT });
    redis.defineCommand('hlsaudioRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('hlsaudioResync', { numberOfKeys: 1, lua: RESYNC_SCRIPT });
    const commands = redis as unknown as Record<'hlsaudioReserve' | 'hlsaudioRelease' | 'hlsaudioResync', ScriptCommand>;
    this.run = { reserve: commands.hlsaudioReserve.bind(redis), release: commands.hlsaudioRelease.bind(redis), resync: commands.hlsaudioResync.bind(redis) };
  }

  async reserve(asks: readonly QuotaAsk[]): Promise<QuotaReservation> {
    const fields = asks.map(fieldOf);
    if (fields.length === 0) return this.granted(fields);
    const rewritesBefore = this.rewrites;
    const args = [this.keys.nodes, this.holdsKey, this.keys.holds, this.nodeId, this.options.presenceTtlMs, ...asks.flatMap((ask, i) => [fields[i]!, ask.limit])];
    const answer = await withTimeout(this.run.reserve(...args), this.options.quotaCheckTimeoutMs).catch(() => undefined);
    if (answer === undefined) {
      // Let in on this node's count; a late answer may or may not have added it in Redis.
      this.stale = true;
    } else if (typeof answer === 'number' && answer > 0) {
      return { granted: false, refused: asks[answer - 1]! };
    } else if (this.rewrites !== rewritesBefore) {
      this.stale = true;
    }
    return this.granted(fields);
  }

  /**
   * After a heartbeat: rewrites the copy when it is incomplete in Redis (Redis lost it, or this node
   * just started) or may differ from this node's count.
   */
  async heartbeatDone(complete: boolean): Promise<void> {
    if (complete && !this.stale) return;
    this.stale = false;
    this.rewrites++;
    const counts = [...this.held.entries()].flatMap(([field, count]) => [field, count]);
    try {
      await this.run.resync(this.holdsKey, this.options.presenceTtlMs, ...counts);
    } catch {
      this.stale = true;
    }
  }

  private granted(fields: string[]): QuotaReservation {
    for (const field of fields) this.held.add(field);
    let released = false;
    return {
      granted: true,
      release: () => {
        if (released || fields.length === 0) return;
        released = true;
        for (const field of fields) this.held.remove(field);
        this.run.release(this.holdsKey, ...fields).catch(() => (this.stale = true));
      },
    };
  }
}

function fieldOf(ask: QuotaAsk): string {
  return `${ask.kind === 'user' ? 'u' : 'a'}:${ask.id}`;
}

/** The promise's value, or undefined once `ms` passed (the promise goes on; its rejection is ignored). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
