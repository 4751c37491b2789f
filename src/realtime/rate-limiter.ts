/**
 * A token bucket: `burst` tokens, refilled continuously at `ratePerSec`. One command takes one token.
 * Refilling is computed from the clock on each take, so an idle connection costs no timer.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes a token; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole tokens left. */
  get remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Seconds until the bucket is full again, rounded up (`RateLimitWarning.reset_time_seconds`). */
  get secondsToFull(): number {
    this.refill();
    return Math.ceil((this.burst - this.tokens) / this.ratePerSec);
  }

  private refill(): void {
    const at = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((at - this.updatedAt) / 1000) * this.ratePerSec);
    this.updatedAt = at;
  }
}
