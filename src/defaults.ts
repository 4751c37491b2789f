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
  /** The spec binds 0.0.0.0:8082; we bind loopback unless `--host` says otherwise. 0 takes a free port. */
  port: 8082,
  host: '127.0.0.1',
  /**
   * Idle keep-alive connections are closed after this long. Node's own 5 s makes players that fetch
   * a segment every 6 s reconnect for each one; nginx keeps 75 s. Must stay below headersTimeoutMs.
   */
  keepAliveTimeoutMs: 65_000,
  /** Time allowed to receive a request's headers (Node's `headersTimeout`); longer than keepAliveTimeoutMs. */
  headersTimeoutMs: 66_000,
  /** Largest JSON request body of the sessions API; a larger one is answered 413 unread. */
  maxBodyBytes: 16 * 1024,
  /** Longest request target (path and query) accepted; longer ones are answered 414. */
  maxUrlBytes: 2048,
  /**
   * How long a file's stat, realpath and track.json stay cached. A `package` rerun replaces a track
   * folder by rename, so the server sees the new build within this time. 0 disables the cache.
   */
  fileCacheTtlMs: 1000,
  /** Files whose stat and realpath results are kept at once (least recently used dropped first). */
  fileCacheEntries: 4096,
  /** Largest playlist or catalog.json read into memory (to gzip or reorder it); larger ones are refused with 500. */
  maxPlaylistBytes: 4 * 1024 * 1024,
  /** Playlists at least this long are sent gzipped to clients that accept it (Apple's authoring spec 10.1). 0 gzips all. */
  gzipMinBytes: 256,
  /** `Cache-Control: max-age` of media files, marked immutable: a given URL's bytes change only when the track is rebuilt. */
  mediaMaxAgeSec: 31_536_000,
  /** `Cache-Control: max-age` of playlists: short, so that a rebuilt track is picked up soon. */
  playlistMaxAgeSec: 10,
  /** `Access-Control-Allow-Origin` of every answer: players on other origins may fetch. */
  corsOrigin: '*',
  /** `Access-Control-Max-Age` of preflight answers: browsers reuse a preflight this long. */
  corsMaxAgeSec: 600,
  /** Bytes read at a time when a whole media file or a /stream/ view is streamed. */
  readChunkBytes: 256 * 1024,
  /**
   * Memory kept for recently served media ranges (`--media-cache`), so that the segments many
   * players ask for are answered without a file read (serve/range-cache.ts). 0 disables.
   */
  mediaCacheBytes: 64 * 1024 * 1024,
  /**
   * Longest range read in one call (and kept in that cache): a 6 s segment at 320 kbit/s is about
   * 240 KB. Longer ranges (whole-file downloads) are streamed in readChunkBytes pieces.
   */
  mediaCacheMaxEntryBytes: 1024 * 1024,
  /** Media files kept open between reads (serve/open-files.ts); a handle idle for fileCacheTtlMs is closed. */
  openFiles: 256,
  /** On shutdown, connections still busy after this long are destroyed. */
  shutdownGraceMs: 5000,
} as const;

/**
 * AdaptiveStreamingManager: sessions, profile choice, quality monitor (owner: src/streaming).
 * README "Session rules" explains how these are used.
 */
export const streamingDefaults = {
  /**
   * A profile fits a client when its `bandwidth_estimate_kbps` is at most this share of the client's
   * bandwidth: the estimate already covers the stream's own peaks, this covers the link's.
   */
  bandwidthSafetyFactor: 0.8,
  /** Bandwidth assumed when a client reports none (0 or absent): hls.js's default first estimate. */
  assumedBandwidthKbps: 500,
  /** Highest `bitrate_kbps` chosen automatically per connection type; absent means no cap. */
  connectionCapKbps: { Cellular2G: 96, Cellular3G: 192 } as Readonly<Record<string, number>>,
  /** Highest `bitrate_kbps` chosen automatically per device type; absent means no cap. */
  deviceCapKbps: { Mobile: 192, CarAudio: 192 } as Readonly<Record<string, number>>,
  /** Sessions held at once; one more is refused with 503. */
  maxSessions: 10_000,
  /** A session with no request or metrics report for this long expires. */
  sessionIdleMs: 5 * 60_000,
  /** How often the quality monitor looks for expired sessions. */
  sweepIntervalMs: 15_000,
  /** The monitor steps down when the buffer is below this (percent)… */
  downBufferHealthPct: 30,
  /** …or packet loss is above this (percent)… */
  downPacketLossPct: 5,
  /** …or latency is above this (ms)… */
  downLatencyMs: 1000,
  /** …or the measured download speed no longer fits the current profile (bandwidthSafetyFactor), on this many reports in a row. A new rebuffer steps down at once. */
  downConsecutiveReports: 2,
  /** The monitor steps up one profile when the buffer is at least this (percent)… */
  upBufferHealthPct: 80,
  /** …packet loss at most this (percent)… */
  upPacketLossPct: 1,
  /** …latency at most this (ms)… */
  upLatencyMs: 300,
  /**
   * …the next profile's `bandwidth_estimate_kbps` is at most this share of the download speed (below
   * bandwidthSafetyFactor, so that a speed just at the edge neither steps up nor down: hls.js keeps
   * 0.7 for up and 0.95 for staying)…
   */
  upBandwidthFactor: 0.7,
  /** …and all that on this many reports in a row… */
  upConsecutiveReports: 4,
  /** …and at least this long after the last switch (a step down is never delayed). */
  upHoldAfterSwitchMs: 20_000,
} as const;

/** WebSocketManager at /api/ws: limits and timers (owner: src/realtime). */
export const realtimeDefaults = {} as const;

/** Listening analytics in SQLite (owner: src/analytics). */
export const analyticsDefaults = {} as const;
