import type { CatalogInfo } from '../catalog/schema.js';
import { summaryOf, type TrackSummary } from '../catalog/snapshot.js';
import type { Logger } from '../log.js';
import type { RealtimeBroker } from './broker.js';
import type { ConnectionQuotas } from './connection-quotas.js';
import type { PlaylistStore } from './playlists.js';
import type { Presence } from './presence.js';
import type { QualityChange } from '../streaming/types.js';
import type { TrustedProxies } from '../trusted-proxies.js';

/**
 * What the event server needs from the rest of `serve`, as small interfaces (the serve command
 * wires the real ones; tests may pass in-memory ones).
 */

export type { TrackSummary };

/** The catalog, by track id (serve passes its CatalogSnapshot). */
export interface TrackDirectory {
  get(trackId: string): TrackSummary | undefined;
}

/** The adaptive-streaming sessions (AdaptiveStreamingManager). */
export interface SessionDirectory {
  /** The quality the connection's session (`?session_id=`) streams the track at (Play's `data.quality`), if it is that track's. */
  qualityFor(trackId: string, sessionId: string | undefined): string | undefined;
  /** Calls `listener` with each change of a session's quality (pushed as `QualityChanged`); returns the unsubscriber. */
  onQualityChange(listener: (change: QualityChange) => void): () => void;
  /** The session's last reported buffer health in percent (Seek's `PlaybackProgress.buffer_percentage`). */
  bufferPercentageFor?(trackId: string, sessionId: string | undefined): number | undefined;
  /** A connection names this session (`?session_id=`): a directory shared with other nodes reads it now, so that the look-ups above answer. */
  watch?(sessionId: string): void;
}

/**
 * A change of what a connection plays, as its commands (or its closing) make it: `serve` records
 * listening analytics from these. Positions are the connection's playback clock, in ms.
 */
export interface PlaybackChange {
  kind: 'started' | 'resumed' | 'paused' | 'progress' | 'stopped';
  connection: PlaybackListener;
  trackId: string;
  positionMs: number;
  /** On `started`: the track's length and the quality Play answered with. */
  durationMs?: number;
  quality?: string | null;
}

/** Who plays: the connection as the analytics record it. */
export interface PlaybackListener {
  id: string;
  userId: string | null;
  ipAddress: string;
  userAgent: string | null;
  referrer: string | null;
  sessionId: string | null;
}

export interface RealtimeDeps {
  tracks: TrackDirectory;
  sessions?: SessionDirectory | undefined;
  /** Told of every playback change of every connection (listening analytics). */
  onPlayback?: ((change: PlaybackChange) => void) | undefined;
  /** Folder for server-side playlists (`playlists.db`) and the stats written at shutdown. */
  dataDir: string;
  /** The name, in `dataDir`, of the stats written at shutdown; STATS_FILE by default (each `--workers` worker has its own). */
  statsFile?: string | undefined;
  /** Carries events between serve processes; the in-process broker by default. */
  broker?: RealtimeBroker | undefined;
  /** Who plays what, for LiveStats; this process's connections by default. */
  presence?: Presence | undefined;
  /** Connection quotas across processes (RedisQuotas); without it each process counts its own. */
  quotas?: ConnectionQuotas | undefined;
  /** Server-side playlists; the SQLite store in `dataDir` by default. */
  playlists?: PlaylistStore | undefined;
  /** Told of write failures and internal errors; stderr by default. */
  logger?: Logger | undefined;
  /** Startup information (the authentication mode), for the host to print; `logger.info` by default. */
  announce?: ((line: string) => void) | undefined;
  /** Whose `X-Forwarded-For` names the client of an upgrade (`serve --trust-proxy`); absent: the TCP peer, header ignored. */
  trustProxy?: TrustedProxies | undefined;
  /** Wall clock in ms (playback positions, rate limits, idle times); Date.now by default. Tests pass their own. */
  now?: (() => number) | undefined;
}

/** A TrackDirectory over a catalog.json (`readCatalog`), as `serve` loads it. */
export function tracksFromCatalog(catalog: CatalogInfo): TrackDirectory {
  const byId = new Map<string, TrackSummary>(catalog.tracks.map((entry) => [entry.id, summaryOf(entry)]));
  return { get: (trackId) => byId.get(trackId) };
}
