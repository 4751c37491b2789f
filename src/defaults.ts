import { availableParallelism } from 'node:os';
import { defaultsOf, type OptionTable } from './option-table.js';

/**
 * Every default and limit of hlsaudio in one table per group, units in the names, with who uses each
 * (as hls.js keeps `src/config.ts`). Each entry holds its default and bounds, its meaning in the
 * comment above it; `resolveOptions` (option-table.ts) applies an option object over a group, and
 * `xDefaults` are the plain values. A CLI flag or an option object overrides a value; nothing else
 * hard-codes one.
 */
export const packageOptions = {
  /** Target segment duration (`--segment-duration`); Apple's authoring spec asks for 6 s. Used by the segmenter. */
  segmentDurationSec: { default: 6, min: 1, max: 60 },
  /** Shortest and longest `--segment-duration` accepted. */
  segmentDurationMinSec: { default: 1, min: 1 },
  segmentDurationMaxSec: { default: 60, min: 1 },
  /**
   * A last segment shorter than this is merged into the one before it, when the merged segment still
   * rounds to the target duration (RFC 8216 section 4.3.3.1). 0 disables merging. Used by the segmenter.
   */
  tailMergeMaxSec: { default: 0.5, min: 0 },
  /** Encoder processes run at once (`--concurrency`); the native AAC encoder uses one core each. */
  concurrency: { default: Math.max(1, availableParallelism()), min: 1, integer: true },
  /**
   * Tracks in flight (decoded, their PCM file on disk, encoders queued) beyond `--concurrency`: one
   * more than the encoders, so the next track's decode overlaps the last encodes. Bounds temporary disk use.
   */
  extraTracksInFlight: { default: 1, min: 0, integer: true },
  /** ffprobe processes run at once while a catalog is scanned. */
  probeConcurrency: { default: 4, min: 1, integer: true },
  /** Folder of the default ladder, relative to the package root. */
  profilesDir: { default: 'profiles' },
  /** ffmpeg stderr kept for an error message, in bytes (the tail is kept). */
  ffmpegStderrKeepBytes: { default: 16 * 1024, min: 0, integer: true },
  /** A stale lock on catalog.json (its holder died) is taken over after this long. */
  catalogLockStaleMs: { default: 30_000, min: 0 },
  /** How long a writer waits for the catalog.json lock before giving up. */
  catalogLockWaitMs: { default: 120_000, min: 0 },
  /** A temporary build folder older than this is stale even when its pid is alive (pids are reused). */
  staleBuildAgeMs: { default: 24 * 60 * 60 * 1000, min: 0 },
} satisfies OptionTable;
export const packageDefaults = defaultsOf(packageOptions);

/** `hlsaudio serve`: the HTTP layer (owner: src/serve). The spec fixes the port. */
export const serveOptions = {
  /** The spec binds 0.0.0.0:8082; we bind loopback unless `--host` says otherwise. 0 takes a free port. */
  port: { default: 8082, min: 0, max: 65535, integer: true },
  host: { default: '127.0.0.1' },
  /**
   * Idle keep-alive connections are closed after this long. Node's own 5 s makes players that fetch
   * a segment every 6 s reconnect for each one; nginx keeps 75 s. Must stay below headersTimeoutMs.
   */
  keepAliveTimeoutMs: { default: 65_000, min: 0 },
  /** Time allowed to receive a request's headers (Node's `headersTimeout`); longer than keepAliveTimeoutMs. */
  headersTimeoutMs: { default: 66_000, min: 0 },
  /** Largest JSON request body of the sessions API; a larger one is answered 413 unread. */
  maxBodyBytes: { default: 16 * 1024, min: 1, integer: true },
  /** Longest request target (path and query) accepted; longer ones are answered 414. */
  maxUrlBytes: { default: 2048, min: 1, integer: true },
  /**
   * How long a file's stat, realpath and track.json stay cached. A `package` rerun replaces a track
   * folder by rename, so the server sees the new build within this time. 0 disables the cache.
   */
  fileCacheTtlMs: { default: 1000, min: 0 },
  /** Files whose stat and realpath results are kept at once (least recently used dropped first). */
  fileCacheEntries: { default: 4096, min: 1, integer: true },
  /**
   * How often catalog.json is checked for a change (serve/folder-catalog.ts): a change starts the one
   * snapshot of the catalog that the HTTP routes, sessions, event server and analytics share, so a
   * track packaged while serving is listed within this time. 0: read once at startup.
   */
  catalogRefreshMs: { default: 1000, min: 0 },
  /** Largest playlist or catalog.json read into memory (to gzip or reorder it); larger ones are refused with 500. */
  maxPlaylistBytes: { default: 4 * 1024 * 1024, min: 1, integer: true },
  /** Playlists at least this long are sent gzipped to clients that accept it (Apple's authoring spec 10.1). 0 gzips all. */
  gzipMinBytes: { default: 256, min: 0, integer: true },
  /** `Cache-Control: max-age` of media files, marked immutable: a given URL's bytes change only when the track is rebuilt. */
  mediaMaxAgeSec: { default: 31_536_000, min: 0, integer: true },
  /** `Cache-Control: max-age` of playlists: short, so that a rebuilt track is picked up soon. */
  playlistMaxAgeSec: { default: 10, min: 0, integer: true },
  /** `Access-Control-Allow-Origin` of every answer: players on other origins may fetch. */
  corsOrigin: { default: '*' },
  /** `Access-Control-Max-Age` of preflight answers: browsers reuse a preflight this long. */
  corsMaxAgeSec: { default: 600, min: 0, integer: true },
  /** Bytes read at a time when a whole media file or a /stream/ view is streamed. */
  readChunkBytes: { default: 256 * 1024, min: 1, integer: true },
  /**
   * Memory kept for recently served media ranges (`--media-cache`), so that the segments many
   * players ask for are answered without a file read (serve/range-cache.ts). 0 disables.
   */
  mediaCacheBytes: { default: 64 * 1024 * 1024, min: 0, integer: true },
  /**
   * Longest range read in one call (and kept in that cache): a 6 s segment at 320 kbit/s is about
   * 240 KB. Longer ranges (whole-file downloads) are streamed in readChunkBytes pieces.
   */
  mediaCacheMaxEntryBytes: { default: 1024 * 1024, min: 0, integer: true },
  /** Media files kept open between reads (serve/open-files.ts); a handle idle for fileCacheTtlMs is closed. */
  openFiles: { default: 256, min: 0, integer: true },
  /** Files of the player page and the typed client whose stat results are kept (serve/web-routes.ts). */
  webFileCacheEntries: { default: 256, min: 1, integer: true },
  /** On shutdown, connections still busy after this long are destroyed. */
  shutdownGraceMs: { default: 5000, min: 0 },
} satisfies OptionTable;
export const serveDefaults = defaultsOf(serveOptions);

/**
 * AdaptiveStreamingManager: sessions, profile choice, quality monitor (owner: src/streaming).
 * README "Session rules" explains how these are used.
 */
export const streamingOptions = {
  /**
   * A profile fits a client when its `bandwidth_estimate_kbps` is at most this share of the client's
   * bandwidth: the estimate already covers the stream's own peaks, this covers the link's.
   */
  bandwidthSafetyFactor: { default: 0.8, min: 0.01, max: 1 },
  /** Bandwidth assumed when a client reports none (0 or absent): hls.js's default first estimate. */
  assumedBandwidthKbps: { default: 500, min: 1 },
  /** Highest `bitrate_kbps` chosen automatically per connection type; absent means no cap. */
  connectionCapKbps: { default: { Cellular2G: 96, Cellular3G: 192 } as Readonly<Record<string, number>> },
  /** Highest `bitrate_kbps` chosen automatically per device type; absent means no cap. */
  deviceCapKbps: { default: { Mobile: 192, CarAudio: 192 } as Readonly<Record<string, number>> },
  /** Sessions held at once; one more is refused with 503. */
  maxSessions: { default: 10_000, min: 1, integer: true },
  /** A session with no request or metrics report for this long expires. */
  sessionIdleMs: { default: 5 * 60_000, min: 1 },
  /** How often the quality monitor looks for expired sessions. */
  sweepIntervalMs: { default: 15_000, min: 1 },
  /** Longest `client_id` and `user_id` a client may give when it creates a session. */
  maxClientIdChars: { default: 256, min: 1, integer: true },
  /** The monitor steps down when the buffer is below this (percent)… */
  downBufferHealthPct: { default: 30, min: 0, max: 100 },
  /** …or packet loss is above this (percent)… */
  downPacketLossPct: { default: 5, min: 0, max: 100 },
  /** …or latency is above this (ms)… */
  downLatencyMs: { default: 1000, min: 0 },
  /** …or the measured download speed no longer fits the current profile (bandwidthSafetyFactor), on this many reports in a row. A new rebuffer steps down at once. */
  downConsecutiveReports: { default: 2, min: 1, integer: true },
  /** The monitor steps up one profile when the buffer is at least this (percent)… */
  upBufferHealthPct: { default: 80, min: 0, max: 100 },
  /** …packet loss at most this (percent)… */
  upPacketLossPct: { default: 1, min: 0, max: 100 },
  /** …latency at most this (ms)… */
  upLatencyMs: { default: 300, min: 0 },
  /**
   * …the next profile's `bandwidth_estimate_kbps` is at most this share of the download speed (below
   * bandwidthSafetyFactor, so that a speed just at the edge neither steps up nor down: hls.js keeps
   * 0.7 for up and 0.95 for staying)…
   */
  upBandwidthFactor: { default: 0.7, min: 0.01, max: 1 },
  /** …and all that on this many reports in a row… */
  upConsecutiveReports: { default: 4, min: 1, integer: true },
  /** …and at least this long after the last switch (a step down is never delayed). */
  upHoldAfterSwitchMs: { default: 20_000, min: 0 },
} satisfies OptionTable;
export const streamingDefaults = defaultsOf(streamingOptions);

/**
 * WebSocketManager at /api/ws and `POST /api/events`: limits and timers (owner: src/realtime). Each
 * is an option of `attachRealtime`. The typed client's defaults sit in `src/client/defaults.ts`,
 * because this file imports `node:os` and the client must also run in a browser.
 */
export const realtimeOptions = {
  /** The one path whose upgrades the event server takes (the spec's URL). */
  wsPath: { default: '/api/ws' },
  /** Path of the authenticated publish endpoint, registered by the HTTP router. */
  eventsPath: { default: '/api/events' },
  /**
   * A message larger than this is answered with a `CommandResponse` error and not parsed; the
   * connection stays open. Commands are small: the largest legitimate one (Subscribe with every
   * event and a few filters) is under 1 KiB.
   */
  wsMaxMessageBytes: { default: 16 * 1024, min: 1, integer: true },
  /** A frame larger than this closes the connection with 1009 (ws's `maxPayload`), unread. */
  wsMaxPayloadBytes: { default: 1024 * 1024, min: 1, integer: true },
  /** Open connections at once; an upgrade beyond it is refused with HTTP 503. 0 disables the limit. */
  wsMaxConnections: { default: 10_000, min: 0, integer: true, zeroDisables: true },
  /**
   * Bytes queued to a client that does not read (ws `bufferedAmount`) before it is disconnected as a
   * slow consumer (close code 4001). Nothing more is queued to it meanwhile, so it cannot grow.
   */
  wsMaxBufferedBytes: { default: 1024 * 1024, min: 1, integer: true },
  /** How long a close handshake may take (shutdown, slow consumer, idle) before the socket is destroyed (ws `closeTimeout`). */
  wsCloseTimeoutMs: { default: 5_000, min: 0 },
  /** A ping is sent this often; a connection that has not answered the previous one is terminated. 0 disables. */
  wsHeartbeatIntervalMs: { default: 30_000, min: 0, zeroDisables: true },
  /** A connection that sent no message for this long is closed (4000); pongs do not count. 0 disables. */
  wsIdleTimeoutMs: { default: 10 * 60_000, min: 0, zeroDisables: true },
  /** Token bucket per connection: commands refilled per second ... */
  wsCommandRatePerSec: { default: 20, min: 0.001 },
  /** ... and the bucket's size: the burst a client may send at once. */
  wsCommandBurst: { default: 40, min: 1 },
  /** `RateLimitWarning` is sent when a command leaves this many commands or fewer in the bucket. */
  wsRateLimitWarnRemaining: { default: 10, min: 0 },
  /** Longest id accepted in a command (`command_id`, `track_id`, `playlist_id`, filter values) and in `user_id`. */
  wsMaxIdLength: { default: 256, min: 1, integer: true },
  /** How long `close()` waits for clients to answer the 1001 close frame before destroying their sockets. */
  wsShutdownTimeoutMs: { default: 5_000, min: 0 },
  /** `LiveStats` is computed and pushed to its subscribers this often. 0 disables. */
  liveStatsIntervalMs: { default: 5_000, min: 0, zeroDisables: true },
  /** Tracks listed in `LiveStats.top_tracks`, most listeners first. */
  liveStatsTopTracks: { default: 10, min: 1, integer: true },
  /** Tracks one server-side playlist may hold. */
  playlistMaxTracks: { default: 10_000, min: 1, integer: true },
  /** Server-side playlists in all. */
  playlistMaxCount: { default: 100_000, min: 1, integer: true },
  /** Playlist changes are written to the data folder at most this long after they happen (and at shutdown). */
  playlistFlushDelayMs: { default: 200, min: 0 },
  /** Largest `POST /api/events` body. */
  eventsMaxBodyBytes: { default: 64 * 1024, min: 1, integer: true },
  /** Events one `POST /api/events` may carry (a JSON array). */
  eventsMaxBatch: { default: 100, min: 1, integer: true },
  /** The token of `POST /api/events` must carry this in its `scope` claim (space-separated, RFC 8693). */
  eventsPublishScope: { default: 'events:publish' },
  /** Clock skew accepted on a JWT's `exp` and `nbf`. */
  jwtClockToleranceSec: { default: 5, min: 0 },
  /** Shortest HS256 secret accepted: RFC 7518 section 3.2 asks for a key as long as the hash (256 bits). */
  jwtSecretMinBytes: { default: 32, min: 1, integer: true },
  /** Algorithms accepted from a JWKS file (asymmetric only: a JWKS file holds public keys). */
  jwksAlgorithms: { default: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] },
} satisfies OptionTable;
export const realtimeDefaults = defaultsOf(realtimeOptions);

/**
 * Listening analytics in SQLite (owner: src/analytics). README "Listening analytics" and
 * docs/design-notes.md "Analytics" explain the rules and the measurements behind these values.
 */
export const analyticsOptions = {
  /** The database file, relative to the output folder, when `--db` does not name one. Hidden, so never a track id. */
  dbFileInOutDir: { default: '.hlsaudio/analytics.db' },
  /**
   * Queued rows are written in one transaction at least this often. A `kill -9` loses at most the
   * rows queued since the last write: this long of reports, and never more than flushMaxRows rows.
   */
  flushIntervalMs: { default: 1000, min: 1, max: 3_600_000, integer: true },
  /**
   * A write happens as soon as this many rows are queued, so that one write never blocks the event
   * loop for long: above 250 the CPU per row falls little while each write's pause grows in
   * proportion (`npm run bench:analytics -- --setups batched --max-rows N`, figures in
   * docs/design-notes.md). 1 writes every row in its own transaction.
   */
  flushMaxRows: { default: 250, min: 1, max: 1_000_000, integer: true },
  /**
   * SQLite `synchronous` in WAL mode. `NORMAL` survives a crash or `kill -9` of the process; a power
   * loss may lose the writes since the last checkpoint. `FULL` also survives a power loss and makes
   * every write wait for an fsync.
   */
  synchronous: { default: 'NORMAL' as 'NORMAL' | 'FULL', oneOf: ['NORMAL', 'FULL'] as ('NORMAL' | 'FULL')[] },
  /** How long a write waits for another connection's lock (a reader checkpointing) before failing. */
  busyTimeoutMs: { default: 5000, min: 0, max: 3_600_000, integer: true },
  /**
   * The worker thread of the store (which also runs the summary queries) copies the WAL into the
   * database file this often, so that the event loop never does. 0 leaves it to SQLite, which does
   * it on the event loop after the write that brings the WAL to 1000 pages (that write then takes
   * several times longer).
   */
  checkpointIntervalMs: { default: 1000, min: 0, max: 3_600_000, integer: true, zeroDisables: true },
  /**
   * A play session with no call for this long is ended (`end_reason` "Idle") at its last activity.
   * A paused player that stays silent longer starts a new play.
   */
  sessionIdleMs: { default: 30 * 60_000, min: 1, integer: true },
  /** How often idle play sessions are looked for (in memory and, for sessions of an earlier run, in the file). */
  sweepIntervalMs: { default: 60_000, min: 1, integer: true },
  /** Open play sessions held at once; one more is refused (E_TOO_MANY_PLAY_SESSIONS). */
  maxOpenSessions: { default: 100_000, min: 1, integer: true },
  /** A play is complete when the parts of the track heard cover at least this share of its duration. */
  completionRatio: { default: 0.9, min: 0, max: 1 },
  /**
   * A progress report is counted as listening when the position moved forward by at most
   * (time since the last report x maxPlaybackRate + progressJitterMs); a larger move is a seek.
   */
  maxPlaybackRate: { default: 2, min: 1, max: 16 },
  /** Slack for reports that arrive late or bunched together (network, timers of a background tab). */
  progressJitterMs: { default: 1000, min: 0, integer: true },
  /** Longest track duration accepted (`duration_ms`). */
  maxDurationMs: { default: 24 * 60 * 60_000, min: 1, integer: true },
  /** Longest `user_id` accepted; longer is refused. */
  maxUserIdChars: { default: 256, min: 1, integer: true },
  /** `user_agent` and `referrer` are cut to these lengths (clients send what they like). */
  maxUserAgentChars: { default: 512, min: 0, integer: true },
  maxReferrerChars: { default: 2048, min: 0, integer: true },
  /** Tracks listed by the summary unless `?limit=` says otherwise, and the largest `limit` accepted. */
  summaryTrackLimit: { default: 100, min: 1, max: 1000, integer: true },
  summaryTrackLimitMax: { default: 1000, min: 1, integer: true },
  /** Latest play sessions listed by a track's details. */
  recentSessionsLimit: { default: 20, min: 0, max: 10_000, integer: true },
  /**
   * `GET /api/analytics/…` of `serve`: when the event server verifies JWTs, a bearer token whose
   * `scope` claim holds this (the same check as `POST /api/events`); in anonymous mode they are open,
   * and leave the listeners' `ip` and `user_agent` out.
   */
  readScope: { default: 'analytics:read' },
  /**
   * Rebuffers one streaming-session metrics report may add to its plays (serve/listening-recorder.ts).
   * Reports carry running totals, and anyone with a session id may send one: a rise of rebuffer_count
   * beyond this records this many rebuffers, sharing the added rebuffer time, and is logged. The page
   * reports every 5 s; 10 stalls in between is already a track that does not play.
   */
  maxRebuffersPerReport: { default: 10, min: 1, integer: true },
} satisfies OptionTable;
export const analyticsDefaults = defaultsOf(analyticsOptions);

/** `hlsaudio validate` (owner: src/validate). */
export const validateOptions = {
  /** Tracks validated at once (each runs ffprobe per variant). */
  trackConcurrency: { default: 4, min: 1, integer: true },
} satisfies OptionTable;
export const validateDefaults = defaultsOf(validateOptions);
