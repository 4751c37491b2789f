import type { CatalogEntry, TrackInfo } from './schema.js';

/** What the event server and the analytics need of a track, answered synchronously. */
export interface TrackSummary {
  title: string;
  artist: string | null;
  duration_ms: number;
  /** The quality a player starts on without a session: the first variant of the main master. */
  default_quality?: string | null;
}

/**
 * Which tracks exist and what they are, as every layer of `serve` reads it: the HTTP routes and the
 * sessions (the full track.json), the event server (`Play`, LiveStats titles) and the analytics (a
 * catalog track never played). One store, so that no two readers disagree about a track during a
 * rebuild. `serve` implements it over the folder (serve/folder-catalog.ts); another process could
 * serve it from a shared store.
 */
export interface CatalogSnapshot {
  /** The track's summary (synchronous: commands answer from memory). */
  get(trackId: string): TrackSummary | undefined;
  has(trackId: string): boolean;
  /** The track's full track.json; undefined when the catalog does not list it. */
  getTrack(trackId: string): Promise<TrackInfo | undefined>;
}

/** The summary of a catalog entry. */
export function summaryOf(entry: CatalogEntry): TrackSummary {
  return { title: entry.title, artist: entry.artist, duration_ms: entry.duration_ms, default_quality: entry.masters[0]?.profiles[0] ?? entry.profiles[0] ?? null };
}
