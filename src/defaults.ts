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
  /**
   * Tracks in flight (decoded, their PCM file on disk, encoders queued) beyond `--concurrency`: one
   * more than the encoders, so the next track's decode overlaps the last encodes. Bounds temporary disk use.
   */
  extraTracksInFlight: 1,
  /** ffprobe processes run at once while a catalog is scanned. */
  probeConcurrency: 4,
  /** Folder of the default ladder, relative to the package root (profiles/ also holds example ladders: lossless.json, aac-44k.json). */
  profilesDir: 'profiles/default',
  /** ffmpeg stderr kept for an error message, in bytes (the tail is kept). */
  ffmpegStderrKeepBytes: 16 * 1024,
  /** A lock on catalog.json whose holder cannot be told dead (another host) is taken over after this long. */
  catalogLockStaleMs: 30_000,
  /**
   * A lock that names no holder (empty or unreadable: left by a full disk or an older hlsaudio, which
   * wrote it in two steps) is taken over once this old; a lock being written by such a version is younger.
   */
  catalogLockUnnamedStaleMs: 1000,
  /** How long a writer waits for the catalog.json lock before giving up. */
  catalogLockWaitMs: 120_000,
  /**
   * Frames per pixel of `peaks.json` (audiowaveform's `samples_per_pixel`): 512 is the finest zoom
   * level peaks.js offers by default (zoomLevels 512 to 4096; it can only resample to coarser
   * levels), about 86 pixels a second at 44.1 kHz: a 4-minute stereo track is ~20,700 pixels.
   */
  peaksSamplesPerPixel: 512,
  /** Bytes of decoded PCM the loudness and peaks analysis reads at a time (the file is streamed). */
  analysisChunkBytes: 1024 * 1024,
  /** True-peak ceiling of loudness normalisation (`--true-peak-ceiling`), dBTP: EBU R 128's maximum permitted true-peak level. */
  truePeakCeilingDbtp: -1,
  /** `--loudness-target` bounds, LUFS. */
  loudnessTargetMinLufs: -40,
  loudnessTargetMaxLufs: -5,
  /**
   * The limiter aims this far below the ceiling (and a retry this far below the overshoot): ffmpeg's
   * `ebur128`, which checks the result, reads limited peaks up to a few tenths of a dB above the
   * limiter's own BS.1770-sized interpolator.
   */
  limiterMarginDb: 0.3,
  /** Limiter release: how fast the gain recovers after a peak (its attack is one 64-frame block). */
  limiterReleaseMs: 100,
  /**
   * A normalised variant whose decoded true peak exceeds the ceiling (lossy coding overshoots the
   * peaks it is given) is limited again this many times at most, each time lower by the overshoot.
   */
  limiterRetries: 3,
  /**
   * A rebuild keeps the previous build's media and playlists this long (`--previous-build-grace`),
   * listed in track.json as `retired` and served, so that a player holding a previous playlist gets
   * the bytes it expects; the next `package` run after that removes them. 0 removes them at once.
   * Used by package/land.ts.
   */
  previousBuildGraceSec: 600,
  /**
   * A source that decodes this much shorter than its container announces is damaged (E_INPUT_CORRUPT,
   * unless `--accept-damaged`). Measured here: intact MP3, Opus and AAC decode up to 0.07 s from
   * ffprobe's figure (encoder delay and padding); a zeroed Ogg page loses about a second. Not applied
   * when ffprobe only estimates the duration from the bit rate (VBR MP3 without a Xing header: 55 % off).
   */
  sourceShortfallToleranceSec: 0.5,
} as const;

/**
 * What every layer accepts from a client and echoes back (owner: src/ids.ts, src/errors.ts): the
 * WebSocket commands and query, JWT subjects, the sessions API, the analytics.
 */
export const inputDefaults = {
  /**
   * Longest id: `user_id` (and a JWT `sub`), `command_id`, `playlist_id`, `session_id`, filter values,
   * `client_id`. Ids are 1 to this many printable ASCII characters (no space, no control byte): a
   * UUID, an e-mail address and `auth0|123` all fit. Track ids follow the stricter rule of their folders.
   */
  idMaxChars: 128,
  /** A value of the request quoted in an error message is cut to this many characters, with `…`. */
  echoMaxChars: 200,
  /** Longest error message sent (a backstop to echoMaxChars for every answer). */
  errorMessageMaxChars: 1024,
} as const;

/** `hlsaudio serve`: the HTTP layer (owner: src/serve). The spec fixes the port. */
export const serveDefaults = {
  /** The spec binds 0.0.0.0:8082; we bind loopback unless `--host` says otherwise. 0 takes a free port. */
  port: 8082,
  host: '127.0.0.1',
  /**
   * Idle keep-alive connections are closed after this long. Node's own 5 s makes players that fetch
   * a segment every 6 s reconnect for each one; nginx keeps 75 s.
   */
  keepAliveTimeoutMs: 65_000,
  /**
   * Time allowed to receive a request's headers (Node's `headersTimeout`), counted from the
   * connection's opening for its first request and from the first byte of each later one (Node 18+
   * keeps it apart from keep-alive idling). A slowloris that trickles headers, or a socket that
   * sends nothing, is answered 408 and closed after this long. Browsers send headers in one packet.
   */
  headersTimeoutMs: 10_000,
  /** Time allowed to receive a whole request, body included (Node's `requestTimeout`); at least headersTimeoutMs. */
  requestTimeoutMs: 30_000,
  /** How often Node looks for requests over those two timeouts (`connectionsCheckingInterval`; Node's own is 30 s). */
  connectionsCheckIntervalMs: 1000,
  /**
   * A connection with a request in progress and no byte read or written for this long is destroyed
   * (Node's `server.timeout`): a client that stops reading a response cannot hold its socket forever.
   * nginx's `send_timeout` is 60 s. 0 disables.
   */
  socketIdleTimeoutMs: 120_000,
  /**
   * TCP connections held at once, WebSocket ones included; a connection beyond it is closed as soon
   * as it is accepted. About 20,000 descriptors per process here: this leaves room for files, the
   * databases and the WebSocket upgrades in progress. Keep it below `ulimit -n`. 0 disables.
   */
  maxConnections: 16_000,
  /**
   * TCP connections one remote address may hold at once; one more is closed as soon as it is
   * accepted, so a client holding its maximum of idle sockets does not starve the others. A browser
   * opens about 6 per host; an office behind one NAT address many times that. Behind a reverse proxy
   * every client has the proxy's address: raise it or disable it (0) there.
   */
  maxConnectionsPerAddress: 512,
  /** Largest JSON request body of the sessions API; a larger one is answered 413 unread. */
  maxBodyBytes: 16 * 1024,
  /** Longest request target (path and query) accepted; longer ones are answered 414. */
  maxUrlBytes: 2048,
  /**
   * How long a file's stat, realpath and track.json stay cached. A `package` rerun commits a rebuild
   * by renaming track.json over the previous one, so the server sees the new build within this time
   * (a file a fresh master names but the cached track.json does not is looked up again at once).
   * 0 disables the cache.
   */
  fileCacheTtlMs: 1000,
  /** Files whose stat and realpath results are kept at once (least recently used dropped first). */
  fileCacheEntries: 4096,
  /** Largest playlist or catalog.json read into memory (to gzip or reorder it); larger ones are refused with 500. */
  maxPlaylistBytes: 4 * 1024 * 1024,
  /** Playlists at least this long are sent gzipped to clients that accept it (Apple's authoring spec 10.1). 0 gzips all. */
  gzipMinBytes: 256,
  /** `Cache-Control: max-age` of media files and variant playlists, marked immutable: their names are their content's hash. */
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
  /** Sessions one remote address may hold (counted for requests without a verified token); one more is refused with 429. 0 disables. */
  maxSessionsPerAddress: 500,
  /** Sessions one user (a verified JWT `sub`) may hold; one more is refused with 429. 0 disables. */
  maxSessionsPerUser: 50,
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

/**
 * WebSocketManager at /api/ws and `POST /api/events`: limits and timers (owner: src/realtime). Each
 * is an option of `attachRealtime`. The typed client's defaults sit in `src/client/defaults.ts`,
 * because this file imports `node:os` and the client must also run in a browser.
 */
export const realtimeDefaults = {
  /** The one path whose upgrades the event server takes (the spec's URL). */
  wsPath: '/api/ws',
  /** Path of the authenticated publish endpoint, registered by the HTTP router. */
  eventsPath: '/api/events',
  /**
   * A message larger than this is answered with a `CommandResponse` error and not parsed; the
   * connection stays open. Commands are small: the largest legitimate one (Subscribe with every
   * event and a few filters) is under 1 KiB.
   */
  wsMaxMessageBytes: 16 * 1024,
  /** A frame larger than this closes the connection with 1009 (ws's `maxPayload`), unread. */
  wsMaxPayloadBytes: 1024 * 1024,
  /** Open connections at once; an upgrade beyond it is refused with HTTP 503. 0 disables the limit. */
  wsMaxConnections: 10_000,
  /** Open connections of one remote address without a verified token; one more upgrade is refused with HTTP 429. 0 disables. */
  wsMaxConnectionsPerAddress: 256,
  /** Open connections of one user (verified, or claimed in anonymous mode); one more upgrade is refused with HTTP 429. 0 disables. */
  wsMaxConnectionsPerUser: 20,
  /** `Retry-After` of an upgrade refused for a full server or a quota, in seconds. */
  wsRetryAfterSec: 5,
  /**
   * Bytes queued to a client that does not read (ws `bufferedAmount`) before it is disconnected as a
   * slow consumer (close code 4001). Nothing more is queued to it meanwhile, so it cannot grow.
   */
  wsMaxBufferedBytes: 1024 * 1024,
  /** How long a close handshake may take (shutdown, slow consumer, idle) before the socket is destroyed (ws `closeTimeout`). */
  wsCloseTimeoutMs: 5_000,
  /** A ping is sent this often; a connection that has not answered the previous one is terminated. 0 disables. */
  wsHeartbeatIntervalMs: 30_000,
  /** A connection that sent no message for this long is closed (4000); pongs do not count. 0 disables. */
  wsIdleTimeoutMs: 10 * 60_000,
  /** Token bucket per connection: commands refilled per second ... */
  wsCommandRatePerSec: 20,
  /** ... and the bucket's size: the burst a client may send at once. */
  wsCommandBurst: 40,
  /**
   * `RateLimitWarning` is sent when a command leaves this many commands or fewer in the bucket, and
   * once more (`remaining_requests: 0`) when the first command is dropped; both are armed again when
   * the bucket refills above this level. A dropped command costs no parse and gets no answer.
   */
  wsRateLimitWarnRemaining: 10,
  /**
   * A connection with more than this many commands dropped within wsFloodWindowMs is closed with
   * 1008 and no longer read: a client slightly over the rate loses a few commands, a flood ends. 0 disables.
   */
  wsFloodCloseAfterDrops: 100,
  wsFloodWindowMs: 10_000,
  /** How long `close()` waits for clients to answer the 1001 close frame before destroying their sockets. */
  wsShutdownTimeoutMs: 5_000,
  /** `LiveStats` is computed and pushed to its subscribers this often. 0 disables. */
  liveStatsIntervalMs: 5_000,
  /** Tracks listed in `LiveStats.top_tracks`, most listeners first. */
  liveStatsTopTracks: 10,
  /** Tracks one server-side playlist may hold. */
  playlistMaxTracks: 10_000,
  /** Server-side playlists in all; one more is refused (E_PLAYLIST). */
  playlistMaxCount: 100_000,
  /** Playlists one user may own; one more is refused (E_QUOTA). 0 disables. */
  playlistMaxPerUser: 1000,
  /** Playlists created from one remote address by connections without a verified token; one more is refused (E_QUOTA). 0 disables. */
  playlistMaxPerAddress: 1000,
  /** Largest `POST /api/events` body. */
  eventsMaxBodyBytes: 64 * 1024,
  /** Events one `POST /api/events` may carry (a JSON array). */
  eventsMaxBatch: 100,
  /** The token of `POST /api/events` must carry this in its `scope` claim (space-separated, RFC 8693). */
  eventsPublishScope: 'events:publish',
  /**
   * In JWT mode a connection receives only the broadcasts naming its own user and the public ones;
   * a token whose `scope` holds this receives every broadcast (dashboards).
   */
  eventsReadAllScope: 'events:read-all',
  /** Clock skew accepted on a JWT's `exp` and `nbf`. */
  jwtClockToleranceSec: 5,
  /** Shortest HS256 secret accepted: RFC 7518 section 3.2 asks for a key as long as the hash (256 bits). */
  jwtSecretMinBytes: 32,
  /** Algorithms accepted from a JWKS file (asymmetric only: a JWKS file holds public keys). */
  jwksAlgorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
} as const;

/**
 * Listening analytics in SQLite (owner: src/analytics). README "Listening analytics" and
 * docs/design-notes.md "Analytics" explain the rules and the measurements behind these values.
 */
export const analyticsDefaults = {
  /** The database file, relative to the output folder, when `--db` does not name one. Hidden, so never a track id. */
  dbFileInOutDir: '.hlsaudio/analytics.db',
  /**
   * Queued rows are written in one transaction at least this often. A `kill -9` loses at most the
   * rows queued since the last write: this long of reports, and never more than flushMaxRows rows.
   */
  flushIntervalMs: 1000,
  /**
   * A write happens as soon as this many rows are queued, so that one write never blocks the event
   * loop for long: about 6.5 µs per row here (1.6 ms for 250). Above 250 the CPU per row falls by
   * under 15 % while each write's pause grows in proportion. 1 writes every row in its own transaction.
   */
  flushMaxRows: 250,
  /**
   * SQLite `synchronous` in WAL mode. `NORMAL` survives a crash or `kill -9` of the process; a power
   * loss may lose the writes since the last checkpoint. `FULL` also survives a power loss and makes
   * every write wait for an fsync.
   */
  synchronous: 'NORMAL' as 'NORMAL' | 'FULL',
  /** How long a write waits for another connection's lock (a reader checkpointing) before failing. */
  busyTimeoutMs: 5000,
  /**
   * The worker thread of the store (which also runs the summary queries) copies the WAL into the
   * database file this often, so that the event loop never does. 0 leaves it to SQLite, which does
   * it on the event loop after the write that brings the WAL to 1000 pages (that write then takes
   * several times longer).
   */
  checkpointIntervalMs: 1000,
  /**
   * A play session with no call for this long is ended (`end_reason` "Idle") at its last activity.
   * A paused player that stays silent longer starts a new play.
   */
  sessionIdleMs: 30 * 60_000,
  /** How often idle play sessions are looked for (in memory and, for sessions of an earlier run, in the file). */
  sweepIntervalMs: 60_000,
  /** Open play sessions held at once; one more is refused (E_TOO_MANY_PLAY_SESSIONS). */
  maxOpenSessions: 100_000,
  /** A play is complete when the parts of the track heard cover at least this share of its duration. */
  completionRatio: 0.9,
  /**
   * A progress report is counted as listening when the position moved forward by at most
   * (time since the last report x maxPlaybackRate + progressJitterMs); a larger move is a seek.
   */
  maxPlaybackRate: 2,
  /** Slack for reports that arrive late or bunched together (network, timers of a background tab). */
  progressJitterMs: 1000,
  /** Longest track duration accepted (`duration_ms`). */
  maxDurationMs: 24 * 60 * 60_000,
  /** `user_agent` and `referrer` are cut to these lengths (clients send what they like). */
  maxUserAgentChars: 512,
  maxReferrerChars: 2048,
  /** Tracks listed by the summary unless `?limit=` says otherwise, and the largest `limit` accepted. */
  summaryTrackLimit: 100,
  summaryTrackLimitMax: 1000,
  /** Latest play sessions listed by a track's details. */
  recentSessionsLimit: 20,
  /**
   * `GET /api/analytics/…` of `serve`: when the event server verifies JWTs, a bearer token whose
   * `scope` claim holds this (the same check as `POST /api/events`); in anonymous mode they are open,
   * and leave the listeners' `ip` and `user_agent` out.
   */
  readScope: 'analytics:read',
  /**
   * Rebuffers one streaming-session metrics report may add to its plays (serve/listening-recorder.ts).
   * Reports carry running totals, and anyone with a session id may send one: a rise of rebuffer_count
   * beyond this records this many rebuffers, sharing the added rebuffer time, and is logged. The page
   * reports every 5 s; 10 stalls in between is already a track that does not play.
   */
  maxRebuffersPerReport: 10,
} as const;
