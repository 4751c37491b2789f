import type { CatalogInfo } from '../catalog/schema.js';
import type { RealtimeBroker } from './broker.js';
import type { PlaylistStore } from './playlists.js';
import type { QualityRecommendation } from './recommendation.js';

/**
 * What the event server needs from the rest of `serve`, as small interfaces (the serve command
 * wires the real ones; tests may pass in-memory ones).
 */

export interface TrackSummary {
  title: string;
  artist: string | null;
  duration_ms: number;
  /** The quality a player starts on without a session: the first variant of the main master. */
  default_quality?: string | null;
}

/** The catalog, by track id. */
export interface TrackDirectory {
  get(trackId: string): TrackSummary | undefined;
}

/** The adaptive-streaming sessions (AdaptiveStreamingManager). */
export interface SessionDirectory {
  /** The quality the user's session streams the track at (Play's `data.quality`), if it has one. */
  qualityFor(userId: string | undefined, trackId: string, sessionId?: string): string | undefined;
  /** Calls `listener` with each switch the quality monitor recommends; returns the unsubscriber. */
  onRecommendation(listener: (recommendation: QualityRecommendation) => void): () => void;
  /** The session's last reported buffer health in percent (Seek's `PlaybackProgress.buffer_percentage`). */
  bufferPercentageFor?(userId: string | undefined, trackId: string, sessionId?: string): number | undefined;
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
  /** Carries events between serve processes; the in-process broker by default. */
  broker?: RealtimeBroker | undefined;
  /** Server-side playlists; the SQLite store in `dataDir` by default. */
  playlists?: PlaylistStore | undefined;
  /** One line per notable happening (write failures, internal errors); stderr by default. */
  log?: ((line: string) => void) | undefined;
  /** Startup information (the authentication mode); `log` by default. */
  announce?: ((line: string) => void) | undefined;
  /** Wall clock in ms (playback positions, rate limits, idle times); Date.now by default. Tests pass their own. */
  now?: (() => number) | undefined;
}

/** A TrackDirectory over a catalog.json (`readCatalog`), as `serve` loads it. */
export function tracksFromCatalog(catalog: CatalogInfo): TrackDirectory {
  const byId = new Map<string, TrackSummary>(
    catalog.tracks.map((entry) => [
      entry.id,
      { title: entry.title, artist: entry.artist, duration_ms: entry.duration_ms, default_quality: entry.masters[0]?.profiles[0] ?? entry.profiles[0] ?? null },
    ]),
  );
  return { get: (trackId) => byId.get(trackId) };
}
