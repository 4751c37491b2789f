import type { Redis } from 'ioredis';

/** What one Redis connection of a node is for, as the outage tells it. */
export interface RedisRole {
  /** What the node does while this connection is down: `/healthz` and the warning say it. */
  without: string;
  /** Said, if anything, when Redis is back (the bus's waiting publications). */
  back?: () => string;
}

/**
 * Whether a node reaches Redis, over all its connections (bus, sessions, presence, playlists): one
 * per node, shared by all of them, so that Redis going away is one outage, logged once when it
 * begins and once when it ends, never per message, per connection or per reconnection attempt. It
 * begins when one watched connection closes and ends when every one is ready again; `/healthz`
 * reads `reason` meanwhile, which names what each connection still down means for this node.
 */
export class RedisOutage {
  private readonly down = new Map<string, RedisRole>();
  private readonly wentDown = new Map<string, RedisRole>();
  private sinceMs: number | undefined;
  private lastError = 'connection closed';

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Follows one connection, named `role` (unique per node). The returned function stops following
   * it, and forgets it as down: call it before closing the connection on purpose, which is no outage.
   */
  watch(redis: Redis, role: string, what: RedisRole): () => void {
    const onError = (error: Error) => (this.lastError = error.message);
    const onClose = () => this.lost(role, what);
    const onReady = () => this.back(role);
    redis.on('error', onError);
    redis.on('close', onClose);
    redis.on('ready', onReady);
    return () => {
      redis.off('error', onError);
      redis.off('close', onClose);
      redis.off('ready', onReady);
      if (this.down.delete(role) && this.down.size === 0) this.end(false);
    };
  }

  /** Why the node is degraded, or undefined while every watched connection reaches Redis. */
  get reason(): string | undefined {
    if (this.sinceMs === undefined) return undefined;
    const without = [...new Set([...this.down.values()].map((what) => what.without))];
    return `Redis at ${this.where} unreachable since ${new Date(this.sinceMs).toISOString()} (${this.lastError}): ${without.join('; ')}`;
  }

  private lost(role: string, what: RedisRole): void {
    if (this.down.has(role)) return;
    this.down.set(role, what);
    this.wentDown.set(role, what);
    if (this.sinceMs !== undefined) return;
    this.sinceMs = this.now();
    this.log(`realtime: lost Redis at ${this.where} (its ${role} connection first); ${what.without}; reconnecting with backoff, /healthz says what else waits`);
  }

  private back(role: string): void {
    if (!this.down.delete(role) || this.down.size > 0 || this.sinceMs === undefined) return;
    this.end(true);
  }

  private end(logged: boolean): void {
    const seconds = ((this.now() - (this.sinceMs ?? this.now())) / 1000).toFixed(1);
    const said = [...this.wentDown.values()].flatMap((what) => (what.back ? [what.back()] : []));
    this.sinceMs = undefined;
    this.wentDown.clear();
    this.lastError = 'connection closed';
    if (logged) this.log(`realtime: Redis at ${this.where} is back after ${seconds} s${said.map((line) => `; ${line}`).join('')}`);
  }
}
