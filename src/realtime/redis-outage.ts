import type { Redis } from 'ioredis';

/**
 * Whether the bus reaches Redis. An outage begins when one of its connections closes and ends when
 * all are ready again; it is logged once when it begins and once when it ends, never per message
 * or per reconnection attempt, and `/healthz` reads `reason` meanwhile.
 */
export class RedisOutage {
  private readonly down = new Set<string>();
  private sinceMs: number | undefined;
  private lastError = 'connection closed';
  private stopped = false;

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void,
    private readonly describe: { lost: () => string; back: () => string },
    private readonly now: () => number = Date.now,
  ) {}

  watch(redis: Redis, role: string): void {
    redis.on('error', (error: Error) => (this.lastError = error.message));
    redis.on('close', () => this.lost(role));
    redis.on('ready', () => this.back(role));
  }

  /** Why the node is degraded, or undefined while Redis is reached. */
  get reason(): string | undefined {
    if (this.sinceMs === undefined) return undefined;
    return `Redis at ${this.where} unreachable since ${new Date(this.sinceMs).toISOString()} (${this.lastError}): events reach this node's connections only`;
  }

  /** Closing on purpose is no outage. */
  stop(): void {
    this.stopped = true;
  }

  private lost(role: string): void {
    if (this.stopped || this.down.has(role)) return;
    this.down.add(role);
    if (this.sinceMs !== undefined) return;
    this.sinceMs = this.now();
    this.log(`realtime: lost Redis at ${this.where}; ${this.describe.lost()}; reconnecting with backoff`);
  }

  private back(role: string): void {
    if (!this.down.delete(role) || this.down.size > 0 || this.sinceMs === undefined) return;
    const seconds = ((this.now() - this.sinceMs) / 1000).toFixed(1);
    this.sinceMs = undefined;
    this.lastError = 'connection closed';
    if (!this.stopped) this.log(`realtime: Redis at ${this.where} is back after ${seconds} s; ${this.describe.back()}`);
  }
}
