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
  /** Folder of the default ladder, relative to the package root (profiles/ also holds example ladders: lossless.json, aac-44k.json). */
  profilesDir: { default: 'profiles/default' },
  /** ffmpeg stderr kept for an error message, in bytes (the tail is kept). */
  ffmpegStderrKeepBytes: { default: 16 * 1024, min: 0, integer: true },
  /** A lock on catalog.json whose holder cannot be told dead (another host) is taken over after this long. */
  catalogLockStaleMs: { default: 30_000, min: 0 },
  /**
   * A lock that names no holder (empty or unreadable: left by a full disk or an older hlsaudio, which
   * wrote it in two steps) is taken over once this old; a lock being written by such a version is younger.
   */
  catalogLockUnnamedStaleMs: { default: 1000, min: 0 },
  /** How long a writer waits for the catalog.json lock before giving up. */
  catalogLockWaitMs: { default: 120_000, min: 0 },
  /** A temporary build folder older than this is stale even when its pid is alive (pids are reused). */
  staleBuildAgeMs: { default: 24 * 60 * 60 * 1000, min: 0 },
  /**
   * Frames per pixel of `peaks.json` (audiowaveform's `samples_per_pixel`): 512 is the finest zoom
   * level peaks.js offers by default (zoomLevels 512 to 4096; it can only resample to coarser
   * levels), about 86 pixels a second at 44.1 kHz: a 4-minute stereo track is ~20,700 pixels.
   */
  peaksSamplesPerPixel: { default: 512, min: 1, integer: true },
  /** Bytes of decoded PCM the loudness and peaks analysis reads at a time (the file is streamed). */
  analysisChunkBytes: { default: 1024 * 1024, min: 1, integer: true },
  /**
   * True-peak ceiling of loudness normalisation (`--true-peak-ceiling`), dBTP: EBU R 128's maximum
   * permitted true-peak level. Its bounds are the ones `--true-peak-ceiling` accepts.
   */
  truePeakCeilingDbtp: { default: -1, min: -20, max: 0 },
  /** `--loudness-target` bounds, LUFS. */
  loudnessTargetMinLufs: { default: -40, max: 0 },
  loudnessTargetMaxLufs: { default: -5, max: 0 },
  /**
   * The limiter aims this far below the ceiling (and a retry this far below the overshoot): ffmpeg's
   * `ebur128`, which checks the result, reads limited peaks up to a few tenths of a dB above the
   * limiter's own BS.1770-sized interpolator.
   */
  limiterMarginDb: { default: 0.3, min: 0 },
  /** Limiter release: how fast the gain recovers after a peak (its attack is one 64-frame block). */
  limiterReleaseMs: { default: 100, min: 0 },
  /**
   * A normalised variant whose decoded true peak exceeds the ceiling (lossy coding overshoots the
   * peaks it is given) is limited again this many times at most, each time lower by the overshoot.
   * 3 was too few for the bundled demo at -16 LUFS: its 22.05 kHz AAC variant still measured
   * -0.56 dBTP after 4 tries (the makeup gain and the encoder's overshoot pull against each other);
   * it passes within 8. A variant that passes stops at once, so only hard tracks pay for more tries.
   */
  limiterRetries: { default: 8, min: 0, integer: true },
  /**
   * A rebuild keeps the previous build's media and playlists this long (`--previous-build-grace`),
   * listed in track.json as `retired` and served, so that a player holding a previous playlist gets
   * the bytes it expects; the next `package` run after that removes them. 0 removes them at once.
   * Used by package/land.ts.
   */
  previousBuildGraceSec: { default: 600, min: 0 },
  /**
   * A source that decodes this much shorter than its container announces is damaged (E_INPUT_CORRUPT,
   * unless `--accept-damaged`). Measured here: intact MP3, Opus and AAC decode up to 0.07 s from
   * ffprobe's figure (encoder delay and padding); a zeroed Ogg page loses about a second. Not applied
   * when ffprobe only estimates the duration from the bit rate (VBR MP3 without a Xing header: 55 % off).
   */
  sourceShortfallToleranceSec: { default: 0.5, min: 0 },
} satisfies OptionTable;
export const packageDefaults = defaultsOf(packageOptions);

/**
 * What every layer accepts from a client and echoes back (owner: src/ids.ts, src/errors.ts): the
 * WebSocket commands and query, JWT subjects, the sessions API, the analytics.
 */
export const inputOptions = {
  /**
   * Longest id: `user_id` (and a JWT `sub`), `command_id`, `playlist_id`, `session_id`, filter values,
   * `client_id`. Ids are 1 to this many printable ASCII characters (no space, no control byte): a
   * UUID, an e-mail address and `auth0|123` all fit. Track ids follow the stricter rule of their folders.
   */
  idMaxChars: { default: 128, min: 1, integer: true },
  /** A value of the request quoted in an error message is cut to this many characters, with `…`. */
  echoMaxChars: { default: 200, min: 1, integer: true },
  /** Longest error message sent (a backstop to echoMaxChars for every answer). */
  errorMessageMaxChars: { default: 1024, min: 1, integer: true },
} satisfies OptionTable;
export const inputDefaults = defaultsOf(inputOptions);

/** `hlsaudio serve`: the HTTP layer (owner: src/serve). The spec fixes the port. */
export const serveOptions = {
  /** The spec binds 0.0.0.0:8082; we bind loopback unless `--host` says otherwise. 0 takes a free port. */
  port: { default: 8082, min: 0, max: 65535, integer: true },
  host: { default: '127.0.0.1' },
  /**
   * Idle keep-alive connections are closed after this long. Node's own 5 s makes players that fetch
   * a segment every 6 s reconnect for each one; nginx keeps 75 s.
   */
  keepAliveTimeoutMs: { default: 65_000, min: 0 },
  /**
   * Time allowed to receive a request's headers (Node's `headersTimeout`), counted from the
   * connection's opening for its first request and from the first byte of each later one (Node 18+
   * keeps it apart from keep-alive idling). A slowloris that trickles headers, or a socket that
   * sends nothing, is answered 408 and closed after this long. Browsers send headers in one packet.
   */
  headersTimeoutMs: { default: 10_000, min: 0 },
  /** Time allowed to receive a whole request, body included (Node's `requestTimeout`); at least headersTimeoutMs. */
  requestTimeoutMs: { default: 30_000, min: 0 },
  /** How often Node looks for requests over those two timeouts (`connectionsCheckingInterval`; Node's own is 30 s). */
  connectionsCheckIntervalMs: { default: 1000, min: 1 },
  /**
   * A connection with a request in progress and no byte read or written for this long is destroyed
   * (Node's `server.timeout`): a client that stops reading a response cannot hold its socket forever.
   * nginx's `send_timeout` is 60 s. 0 disables.
   */
  socketIdleTimeoutMs: { default: 120_000, min: 0, zeroDisables: true },
  /**
   * TCP connections held at once, WebSocket ones included; a connection beyond it is closed as soon
   * as it is accepted. About 20,000 descriptors per process here: this leaves room for files, the
   * databases and the WebSocket upgrades in progress. Keep it below `ulimit -n`. 0 disables.
   */
  maxConnections: { default: 16_000, min: 0, integer: true, zeroDisables: true },
  /**
   * TCP connections one remote address may hold at once; one more is closed as soon as it is
   * accepted, so a client holding its maximum of idle sockets does not starve the others. A browser
   * opens about 6 per host; an office behind one NAT address many times that. A trusted proxy's
   * connections (`--trust-proxy`) are not counted: they carry many clients. Behind a proxy not
   * trusted, every client has its address: raise it or disable it (0) there.
   */
  maxConnectionsPerAddress: { default: 512, min: 0, integer: true, zeroDisables: true },
  /** Largest JSON request body of the sessions API; a larger one is answered 413 unread. */
  maxBodyBytes: { default: 16 * 1024, min: 1, integer: true },
  /** Longest request target (path and query) accepted; longer ones are answered 414. */
  maxUrlBytes: { default: 2048, min: 1, integer: true },
  /**
   * How long a file's stat, realpath and track.json stay cached. A `package` rerun commits a rebuild
   * by renaming track.json over the previous one, so the server sees the new build within this time
   * (a file a fresh master names but the cached track.json does not is looked up again at once).
   * 0 disables the cache.
   */
  fileCacheTtlMs: { default: 1000, min: 0 },
  /** Files whose stat and realpath results are kept at once (least recently used dropped first). */
  fileCacheEntries: { default: 4096, min: 1, integer: true },
  /**
   * How often catalog.json is checked for a change (serve/folder-catalog.ts): which tracks exist, for
   * the HTTP routes, sessions, event server and analytics alike, so a track packaged while serving is
   * listed within this time. 0: read once at startup.
   */
  catalogRefreshMs: { default: 1000, min: 0 },
  /** Largest playlist or catalog.json read into memory (to gzip or reorder it); larger ones are refused with 500. */
  maxPlaylistBytes: { default: 4 * 1024 * 1024, min: 1, integer: true },
  /** Playlists at least this long are sent gzipped to clients that accept it (Apple's authoring spec 10.1). 0 gzips all. */
  gzipMinBytes: { default: 256, min: 0, integer: true },
  /** `Cache-Control: max-age` of media files and variant playlists, marked immutable: their names are their content's hash. */
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
  /** Files of the player page and its bundled script whose stat results are kept (serve/web-routes.ts). */
  webFileCacheEntries: { default: 256, min: 1, integer: true },
  /** On shutdown, connections still busy after this long are destroyed. */
  shutdownGraceMs: { default: 5000, min: 0 },
} satisfies OptionTable;
export const serveDefaults = defaultsOf(serveOptions);

/** `hlsaudio serve --workers`: the primary process that forks and watches the workers (owner: src/cli/serve-workers.ts). */
export const workerOptions = {
  /** Most workers `--workers` accepts (each holds its own Redis connections, caches and descriptors). */
  maxWorkers: { default: 64, min: 1, integer: true },
  /**
   * A worker that dies after it listened is replaced after this long, doubled for each death in a row
   * up to restartMaxDelayMs, so a worker that keeps crashing costs little CPU and fills no log.
   */
  restartDelayMs: { default: 500, min: 0 },
  restartMaxDelayMs: { default: 30_000, min: 0 },
  /** A worker up this long resets the delay: its next death is a fresh one, not part of a crash loop. */
  restartResetAfterMs: { default: 60_000, min: 0 },
} satisfies OptionTable;
export const workerDefaults = defaultsOf(workerOptions);

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
  /** Sessions one remote address may hold (counted for requests without a verified token); one more is refused with 429. 0 disables. */
  maxSessionsPerAddress: { default: 500, min: 0, integer: true, zeroDisables: true },
  /** Sessions one user (a verified JWT `sub`) may hold; one more is refused with 429. 0 disables. */
  maxSessionsPerUser: { default: 50, min: 0, integer: true, zeroDisables: true },
  /** A session with no request or metrics report for this long expires. */
  sessionIdleMs: { default: 5 * 60_000, min: 1 },
  /** How often the quality monitor looks for expired sessions. */
  sweepIntervalMs: { default: 15_000, min: 1 },
  /**
   * Tries of one change of a session when another request changed it between its read and its write
   * (optimistic concurrency: the change is applied again to what the other wrote); then 503 E_UNAVAILABLE.
   */
  sessionWriteAttempts: { default: 10, min: 1, integer: true },
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
 * Streaming sessions in Redis with `serve --redis` (owner: src/streaming/redis-session-store.ts;
 * docs/design-notes.md "Sessions on Redis"). The keys start with redisOptions.keyPrefix.
 */
export const redisSessionOptions = {
  /**
   * How long a session's key outlives its idle time (streamingOptions.sessionIdleMs): the sweep that
   * ends an idle session reads it to tell who it was. Redis drops a key nobody swept after that (every
   * node stopped); covers clocks of the nodes apart by less than this.
   */
  recordGraceMs: { default: 2 * 60_000, min: 0, integer: true },
  /** Sessions one sweep (or a creation at a full quota) ends at most per script call; a sweep calls again while it gets this many. */
  claimBatch: { default: 500, min: 1, integer: true },
  /** Sessions this node keeps a copy of, for the event server's synchronous look-ups (Play's quality, Seek's buffer). */
  localCopies: { default: 10_000, min: 0, integer: true },
  /** Retry-After of a session request refused because Redis does not answer, in seconds. */
  unavailableRetryAfterSec: { default: 5, min: 0, integer: true },
} satisfies OptionTable;
export const redisSessionDefaults = defaultsOf(redisSessionOptions);

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
  /** Open connections of one remote address without a verified token; one more upgrade is refused with HTTP 429. 0 disables. */
  wsMaxConnectionsPerAddress: { default: 256, min: 0, integer: true, zeroDisables: true },
  /** Open connections of one user (verified, or claimed in anonymous mode); one more upgrade is refused with HTTP 429. 0 disables. */
  wsMaxConnectionsPerUser: { default: 20, min: 0, integer: true, zeroDisables: true },
  /** `Retry-After` of an upgrade refused for a full server or a quota, in seconds. */
  wsRetryAfterSec: { default: 5, min: 0, integer: true },
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
  /**
   * `RateLimitWarning` is sent when a command leaves this many commands or fewer in the bucket, and
   * once more (`remaining_requests: 0`) when the first command is dropped; both are armed again when
   * the bucket refills above this level. A dropped command costs no parse and gets no answer.
   */
  wsRateLimitWarnRemaining: { default: 10, min: 0 },
  /**
   * Commands of one connection that may wait behind one in flight (a playlist command on Redis), so
   * that answers keep their order. More than wsCommandBurst, so that a whole burst (an album added at
   * once) waits rather than being dropped; past it (Redis slow) a command is dropped as one over the rate.
   */
  wsMaxQueuedCommands: { default: 64, min: 1, integer: true },
  /**
   * A connection with more than this many commands dropped within wsFloodWindowMs is closed with
   * 1008 and no longer read: a client slightly over the rate loses a few commands, a flood ends. 0 disables.
   */
  wsFloodCloseAfterDrops: { default: 100, min: 0, integer: true, zeroDisables: true },
  wsFloodWindowMs: { default: 10_000, min: 1 },
  /** How long `close()` waits for clients to answer the 1001 close frame before destroying their sockets. */
  wsShutdownTimeoutMs: { default: 5_000, min: 0 },
  /** `LiveStats` is computed and pushed to its subscribers this often. 0 disables. */
  liveStatsIntervalMs: { default: 5_000, min: 0, zeroDisables: true },
  /** Tracks listed in `LiveStats.top_tracks`, most listeners first. */
  liveStatsTopTracks: { default: 10, min: 1, integer: true },
  /** Tracks one server-side playlist may hold. */
  playlistMaxTracks: { default: 10_000, min: 1, integer: true },
  /** Server-side playlists in all; one more is refused (E_PLAYLIST). */
  playlistMaxCount: { default: 100_000, min: 1, integer: true },
  /** Playlists one user may own; one more is refused (E_QUOTA). 0 disables. */
  playlistMaxPerUser: { default: 1000, min: 0, integer: true, zeroDisables: true },
  /** Playlists created from one remote address by connections without a verified token; one more is refused (E_QUOTA). 0 disables. */
  playlistMaxPerAddress: { default: 1000, min: 0, integer: true, zeroDisables: true },
  /** Largest `POST /api/events` body. */
  eventsMaxBodyBytes: { default: 64 * 1024, min: 1, integer: true },
  /** Events one `POST /api/events` may carry (a JSON array). */
  eventsMaxBatch: { default: 100, min: 1, integer: true },
  /** The token of `POST /api/events` must carry this in its `scope` claim (space-separated, RFC 8693). */
  eventsPublishScope: { default: 'events:publish' },
  /**
   * In JWT mode a connection receives only the broadcasts naming its own user and the public ones;
   * a token whose `scope` holds this receives every broadcast (dashboards).
   */
  eventsReadAllScope: { default: 'events:read-all' },
  /** Clock skew accepted on a JWT's `exp` and `nbf`. */
  jwtClockToleranceSec: { default: 5, min: 0 },
  /** Shortest HS256 secret accepted: RFC 7518 section 3.2 asks for a key as long as the hash (256 bits). */
  jwtSecretMinBytes: { default: 32, min: 1, integer: true },
  /** Algorithms accepted from a JWKS file (asymmetric only: a JWKS file holds public keys). */
  jwksAlgorithms: { default: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] },
} satisfies OptionTable;
export const realtimeDefaults = defaultsOf(realtimeOptions);

/**
 * The Redis event bus of `serve --redis` (owner: src/realtime/redis-*.ts). README "Events across
 * several nodes (Redis)" states the guarantees these bound; each is an option of RedisBroker.
 */
export const redisOptions = {
  /** Every key the bus uses starts with this (the stream `<prefix>:events` and its counter), so nodes of one cluster must agree on it. */
  keyPrefix: { default: 'hlsaudio' },
  /**
   * Entries the stream keeps (XADD MAXLEN ~, so Redis may keep up to one macro node, 100 entries,
   * more). A node that falls further behind than this (stopped, cut off) gets a gap signal for what
   * was trimmed. Redis memory: this many entries of one event's JSON each.
   */
  streamMaxLen: { default: 10_000, min: 1, integer: true },
  /** Entries one XREAD returns at most (the reader loops at once while there are more). */
  readBatch: { default: 500, min: 1, integer: true },
  /** How long one XREAD BLOCK waits for news before it is sent again (Redis answers nil). */
  readBlockMs: { default: 5_000, min: 1, integer: true },
  /** Publications sent in one script call (one round trip, added atomically, in order). */
  publishBatch: { default: 500, min: 1, integer: true },
  /**
   * Publications kept while Redis is unreachable, sent in order when it is back. Beyond this the
   * oldest are dropped, and the other nodes get a gap signal counting them; this node's own
   * connections received them at once.
   */
  publishBufferEntries: { default: 10_000, min: 1, integer: true },
  /**
   * How long Redis remembers the last sequence number each node published, so that a batch sent
   * again after a lost answer is not added twice. A node buffering longer than this may add a
   * batch twice (never loses one).
   */
  publisherMemoryMs: { default: 24 * 60 * 60_000, min: 1, integer: true },
  /** Reconnection backoff: the first delay, doubled on each failed attempt up to the cap, ±20 % jitter. */
  reconnectMinMs: { default: 100, min: 1, integer: true },
  reconnectMaxMs: { default: 5_000, min: 1, integer: true },
  /**
   * A connection whose command has had no answer for this long (beyond readBlockMs for the reader's
   * XREAD BLOCK) is taken for dead and reopened: a network partition that sends no reset, or a Redis
   * frozen that long. Nothing is lost (the batch is sent again, the reader reads on from its last
   * id); until then the node is not reported degraded.
   */
  socketTimeoutMs: { default: 10_000, min: 1, integer: true },
  /** At start, how long `serve` waits for Redis before it gives up (E_REDIS). */
  connectTimeoutMs: { default: 5_000, min: 1, integer: true },
  /** At shutdown, how long the publications not yet in Redis may take to be sent; what is left is logged. */
  shutdownFlushMs: { default: 2_000, min: 1, integer: true },
  /**
   * How long a closing connection's socket may take to end before it is destroyed (ioredis's
   * `disconnectTimeout`, 2 s by default, also arms for a socket already gone, holding the process).
   */
  disconnectWaitMs: { default: 200, min: 1, integer: true },
} satisfies OptionTable;
export const redisDefaults = defaultsOf(redisOptions);

/**
 * Presence, LiveStats and WebSocket quotas across the nodes of `serve --redis` (owner:
 * src/realtime/redis-presence.ts, redis-quotas.ts); the connection itself takes `redisOptions`.
 * docs/design-notes.md "Presence, LiveStats and quotas across nodes" explains the keys.
 */
export const redisPresenceOptions = {
  /**
   * How long a node's entries (its listeners, its load, the connections it holds per user and per
   * address) outlive its last heartbeat. A node that dies (`kill -9`, a lost machine) is counted by
   * the others for at most this long plus one heartbeat; a live node whose event loop stalls longer
   * than this is, meanwhile, not counted.
   */
  presenceTtlMs: { default: 10_000, min: 100, integer: true },
  /** Heartbeats per presenceTtlMs (5: every 2 s by default): each writes this node's entries and reads the others'. */
  presenceBeatsPerTtl: { default: 5, min: 2, integer: true },
  /**
   * Tracks a node writes at each heartbeat: its most listened. Bounds what every heartbeat reads
   * (this many fields per live node, whatever the catalog). `concurrent_listeners` stays exact;
   * `top_tracks` (liveStatsTopTracks, 10) sums the nodes' lists, exact unless a track of the
   * cluster's top is outside some node's list (listeners spread thinner than 1 in this many tracks).
   */
  presenceTracksPerNode: { default: 100, min: 1, integer: true },
  /**
   * How long an upgrade waits for the shared quota count before it is let in on this node's count
   * alone (Redis frozen or cut off; a closed connection fails at once).
   */
  quotaCheckTimeoutMs: { default: 1_000, min: 1, integer: true },
} satisfies OptionTable;
export const redisPresenceDefaults = defaultsOf(redisPresenceOptions);

/**
 * Server-side playlists in Redis under `serve --redis` (owner: src/realtime/redis-playlists.ts). The
 * connection itself takes `redisOptions` (key prefix, reconnection, timeouts); the playlist limits
 * are `realtimeOptions`' `playlistMax*`, which hold cluster-wide.
 */
export const redisPlaylistOptions = {
  /**
   * A node that finds playlists in its data folder (`playlists.db`, `playlists.json`) while Redis
   * holds none moves them in once, holding a lock for this long so that nodes starting together do
   * not import twice; an import that outlasts it is only repeated harmlessly (existing ids are kept).
   */
  importLockMs: { default: 60_000, min: 1, integer: true },
  /** Playlists sent to Redis in one pipelined round during that import. */
  importBatch: { default: 100, min: 1, integer: true },
} satisfies OptionTable;
export const redisPlaylistDefaults = defaultsOf(redisPlaylistOptions);

/**
 * Listening analytics in SQLite or PostgreSQL (owner: src/analytics). README "Listening analytics" and
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
   * loop for long: about 6.5 µs per row here (1.6 ms for 250). Above 250 the CPU per row falls by
   * under 15 % while each write's pause grows in proportion. 1 writes every row in its own transaction.
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
  /**
   * Several processes or nodes writing one database (store.ts): a node unseen this long (it writes its
   * heartbeat with each write and each sweep) is taken for dead, and its open plays are adopted by
   * the next node that sweeps. Longer than sweepIntervalMs; a node cut off from the database longer
   * than this loses its open plays to another node (its later reports on them are not written).
   */
  nodeTimeoutMs: { default: 5 * 60_000, min: 1, integer: true },
  /**
   * While the database is away (PostgreSQL down, SQLite busy past busyTimeoutMs), the rows of failed
   * writes are kept and written when it is back, up to this many; beyond, the oldest are dropped
   * (counted in rows_dropped). About 150 bytes each. A write that fails for another reason (a broken
   * schema) drops its rows at once.
   */
  maxQueuedRows: { default: 100_000, min: 1, integer: true },
  /** PostgreSQL (`--db postgres://…`): connections of the pool (one writes at a time; the others read). */
  postgresPoolSize: { default: 4, min: 2, max: 100, integer: true },
  /** PostgreSQL: how long a connection may take to open; at start, longer is E_DB. */
  postgresConnectTimeoutMs: { default: 5_000, min: 1, integer: true },
  /** PostgreSQL: a statement with no answer for this long fails (a frozen server is an outage, not a hang). */
  postgresQueryTimeoutMs: { default: 10_000, min: 1, integer: true },
  /**
   * Open play sessions started by this process at once; one more is refused (E_TOO_MANY_PLAY_SESSIONS).
   * Plays adopted from stopped processes (store.ts) are held beside them until they end.
   */
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
