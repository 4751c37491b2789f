export interface BackoffPolicy {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 0 to 1: the delay is spread uniformly by up to this share either way. */
  jitter: number;
}

/** Wait before reconnection attempt `attempt` (0 for the first): exponential, capped, jittered. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** attempt);
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}
