/**
 * Defaults of the client side. They live here rather than in src/defaults.ts because that table
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
  /** PlaybackSync: while playing, a `Seek` at the current position this often tells the server the progress. */
  progressIntervalMs: 5000,
  /** PlaybackSync: while playing, PerformanceMetrics are posted to the session this often. */
  metricsIntervalMs: 5000,
  /** Playback: fatal network errors load again after each of these waits, then give up. */
  networkRetryDelaysMs: [1000, 2000, 4000] as readonly number[],
  /** Playback: media error recoveries (recoverMediaError, then swapAudioCodec too) are counted within this window. */
  mediaRecoveryWindowMs: 10_000,
  /**
   * Loudness normalisation target. -16 LUFS integrated: what AES TD1004 recommends for streamed
   * music and Apple Music applies; louder than EBU R128's -23, which would leave phones too quiet.
   */
  loudnessTargetLufs: -16,
  /** A normalisation gain never raises a track's true peak above this (headroom for lossy decoding). */
  truePeakCeilingDbtp: -1,
} as const;
