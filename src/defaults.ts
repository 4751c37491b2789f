import { availableParallelism } from 'node:os';

/**
 * Every default and limit of hlsaudio in one table, units in the names, with who uses each
 * (as hls.js keeps `src/config.ts`). A CLI flag or an option object overrides a value; nothing else
 * hard-codes one.
 */
export const packageDefaults = {
  /** Target segment duration (`--segment-duration`); Apple's authoring spec asks for 6 s. Used by the segmenter. */
  segmentDurationSec: 6,
  /** Shortest and longest `--segment-duration` accepted. */
  segmentDurationMinSec: 1,
  segmentDurationMaxSec: 60,
  /**
   * A last segment shorter than this is merged into the one before it, when the merged segment still
   * rounds to the target duration (RFC 8216 section 4.3.3.1). 0 disables merging. Used by the segmenter.
   */
  tailMergeMaxSec: 0.5,
  /** Encoder processes run at once (`--concurrency`); the native AAC encoder uses one core each. */
  concurrency: Math.max(1, availableParallelism()),
  /** Tracks decoded and waiting for their encoders at once; bounds temporary disk use (one f32 PCM file each). */
  tracksInFlight: Math.max(2, availableParallelism() + 1),
  /** ffprobe processes run at once while a catalog is scanned. */
  probeConcurrency: 4,
  /** Folder of the default ladder, relative to the package root. */
  profilesDir: 'profiles',
  /** ffmpeg stderr kept for an error message, in bytes (the tail is kept). */
  ffmpegStderrKeepBytes: 16 * 1024,
  /** A stale lock on catalog.json (its holder died) is taken over after this long. */
  catalogLockStaleMs: 30_000,
  /** How long a writer waits for the catalog.json lock before giving up. */
  catalogLockWaitMs: 120_000,
} as const;

/** `hlsaudio serve`: the HTTP layer (owner: src/serve). The spec fixes the port. */
export const serveDefaults = {
  /** The spec binds 0.0.0.0:8082; we bind loopback unless `--host` says otherwise. */
  port: 8082,
  host: '127.0.0.1',
} as const;

/** AdaptiveStreamingManager: sessions, profile choice, quality monitor (owner: src/streaming). */
export const streamingDefaults = {} as const;

/** WebSocketManager at /api/ws: limits and timers (owner: src/realtime). */
export const realtimeDefaults = {} as const;

/** Listening analytics in SQLite (owner: src/analytics). */
export const analyticsDefaults = {} as const;
