/**
 * Defaults of the typed client. They live here rather than in src/defaults.ts because that table
 * imports `node:os`, and the client must also load in a browser.
 */
export const clientDefaults = {
  /** A command whose CommandResponse has not come after this long rejects with E_COMMAND_TIMEOUT. */
  commandTimeoutMs: 10_000,
  /** First wait before reconnecting after the connection drops ... */
  reconnectInitialDelayMs: 500,
  /** ... multiplied by this after each failed attempt ... */
  reconnectFactor: 2,
  /** ... up to this. */
  reconnectMaxDelayMs: 30_000,
  /** Each wait is spread by up to this share either way, so clients dropped together do not return together. */
  reconnectJitter: 0.2,
  /** Attempts in a row before giving up (the state becomes `closed`). Infinity: never give up. */
  reconnectMaxAttempts: Number.POSITIVE_INFINITY,
} as const;
