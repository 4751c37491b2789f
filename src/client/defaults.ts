import { defaultsOf, type OptionTable } from '../option-table.js';

/**
 * Defaults of the client side (the typed client, PlaybackSync, Playback), each with its bounds.
 * They live here rather than in src/defaults.ts because that table imports `node:os`, and the
 * client must also load in a browser.
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
  /** PlaybackSync: while playing, a `Seek` at the current position this often tells the server the progress. */
  progressIntervalMs: { default: 5000, min: 1 },
  /** PlaybackSync: while playing, PerformanceMetrics are posted to the session this often. */
  metricsIntervalMs: { default: 5000, min: 1 },
  /** Playback: fatal network errors load again after each of these waits, then give up. */
  networkRetryDelaysMs: { default: [1000, 2000, 4000] as readonly number[] },
  /** Playback: media error recoveries (recoverMediaError, then swapAudioCodec too) are counted within this window. */
  mediaRecoveryWindowMs: { default: 10_000, min: 0 },
  /**
   * Loudness normalisation target. -16 LUFS integrated: what AES TD1004 recommends for streamed
   * music and Apple Music applies; louder than EBU R128's -23, which would leave phones too quiet.
   */
  loudnessTargetLufs: { default: -16, max: 0 },
  /** A normalisation gain never raises a track's true peak above this (headroom for lossy decoding). */
  truePeakCeilingDbtp: { default: -1, max: 0 },
} satisfies OptionTable;
export const clientDefaults = defaultsOf(clientOptions);
