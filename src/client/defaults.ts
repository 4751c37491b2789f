import { defaultsOf, type OptionTable } from '../option-table.js';

/**
 * Defaults of the typed client, each with its bounds. They live here rather than in src/defaults.ts
 * because that table imports `node:os`, and the client must also load in a browser.
 */
export const clientOptions = {
  /** A command whose CommandResponse has not come after this long rejects with E_COMMAND_TIMEOUT. */
  commandTimeoutMs: { default: 10_000, min: 1 },
  /** First wait before reconnecting after the connection drops ... */
  reconnectInitialDelayMs: { default: 500, min: 0 },
  /** ... multiplied by this after each failed attempt ... */
  reconnectFactor: { default: 2, min: 1 },
  /** ... up to this. */
  reconnectMaxDelayMs: { default: 30_000, min: 0 },
  /** Each wait is spread by up to this share either way, so clients dropped together do not return together. */
  reconnectJitter: { default: 0.2, min: 0, max: 1 },
  /** Attempts in a row before giving up (the state becomes `closed`). Infinity: never give up. */
  reconnectMaxAttempts: { default: Number.POSITIVE_INFINITY, min: 0, integer: true },
} satisfies OptionTable;
export const clientDefaults = defaultsOf(clientOptions);
