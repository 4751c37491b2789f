import { CATALOG_FILE, type CatalogInfo, catalogEntry, listedFiles, TRACK_FILE, type TrackInfo } from '../catalog/schema.js';
import { type CatalogSnapshot, summaryOf, type TrackSummary } from '../catalog/snapshot.js';
import { readCatalog, readTrack } from '../catalog/store.js';
import { TRACK_ID } from '../catalog/track-id.js';
import type { FileCache, FileInfo } from './file-cache.js';

interface LoadedTrack {
  /** track.json's validator when it was read. */
  etag: string;
  track: TrackInfo;
  /** Its summary, for the synchronous readers (`Play`, LiveStats): the same build the sessions and routes use. */
  summary: TrackSummary;
  /** Every file of the track a client may fetch, relative to the track folder: masters, playlists, media, peaks, retired ones. */
  files: Set<string>;
}

/**
 * The served folder's catalog (CatalogSnapshot), the one store every layer of `serve` reads:
 * - which tracks exist is catalog.json, checked every `catalogRefreshMs`: a track folder it does not
 *   list (a build in progress, a stray copy) is no track for any route, session or command;
 * - what a track is, is its track.json, the commit point of a rebuild (package/land.ts), read through
 *   the file cache (seen within `fileCacheTtlMs` of a commit, and a track.json symlinked from outside
 *   the folder is not a track), and looked at again at once when a fresh master names a file the
 *   cached one does not list;
 * - a track's summary (`Play`'s duration and default quality) comes from the track.json the
 *   sessions and routes use once one was read, else from catalog.json: they never disagree about a
 *   track during a rebuild, as two stores read on their own clocks did.
 */
export class FolderCatalog implements CatalogSnapshot {
  private listed = new Map<string, TrackSummary>();
  private readonly loaded = new Map<string, LoadedTrack>();
  private catalogEtag: string | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly files: FileCache,
    /** track.json files kept parsed at once (least recently used dropped first). */
    private readonly capacity: number,
    refreshMs: number,
  ) {
    if (refreshMs > 0) {
      this.timer = setInterval(() => void this.refresh().catch(() => {}), refreshMs);
      this.timer.unref();
    }
  }

  /** Reads the catalog once, then again every `refreshMs` when it changed (0: never again). */
  static async open(files: FileCache, options: { refreshMs: number; capacity: number }): Promise<FolderCatalog> {
    const catalog = new FolderCatalog(files, options.capacity, options.refreshMs);
    await catalog.refresh();
    return catalog;
  }

  get(trackId: string): TrackSummary | undefined {
    const listed = this.listed.get(trackId);
    return listed && (this.loaded.get(trackId)?.summary ?? listed);
  }

  has(trackId: string): boolean {
    return this.listed.has(trackId);
  }

  async getTrack(trackId: string): Promise<TrackInfo | undefined> {
    return (await this.load(trackId))?.track;
  }

  /** The file of a track at `relative` (such as `high/audio.0123456789ab.aac`) if its track.json lists it. */
  async trackFile(trackId: string, relative: string): Promise<{ track: TrackInfo; file: FileInfo | undefined } | undefined> {
    let entry = await this.load(trackId);
    if (entry && !entry.files.has(relative)) {
      // A rebuild may have landed since track.json was looked at (a master read afresh names the new
      // build's playlists): look at it again before answering 404.
      this.files.forget([trackId, TRACK_FILE]);
      entry = await this.load(trackId);
    }
    if (!entry) return undefined;
    if (!entry.files.has(relative)) return { track: entry.track, file: undefined };
    return { track: entry.track, file: await this.files.lookup([trackId, ...relative.split('/')]) };
  }

  /**
   * What `trackFile` would answer for a listed file, when all it needs is at hand and fresh (the
   * parsed track.json, its file info and the file's): without waiting, for the hot path of a segment
   * request. Undefined when anything must be looked up (then `trackFile` does).
   */
  trackFileAtHand(trackId: string, relative: string): { track: TrackInfo; file: FileInfo } | undefined {
    const entry = this.loaded.get(trackId);
    if (!entry || !this.listed.has(trackId) || !entry.files.has(relative)) return undefined;
    if (this.files.peek(`${trackId}/${TRACK_FILE}`)?.etag !== entry.etag) return undefined;
    const file = this.files.peek(`${trackId}/${relative}`);
    if (!file) return undefined;
    this.loaded.delete(trackId); // most recently used last, as `load` does
    this.loaded.set(trackId, entry);
    return { track: entry.track, file };
  }

  /** Reads catalog.json again if it changed since the last look. */
  async refresh(): Promise<void> {
    this.files.forget([CATALOG_FILE]);
    const info = await this.files.lookup([CATALOG_FILE]);
    if (info?.etag === this.catalogEtag) return;
    const catalog: CatalogInfo | undefined = info ? await readCatalog(this.files.root) : undefined;
    this.catalogEtag = info?.etag;
    this.listed = new Map((catalog?.tracks ?? []).map((entry) => [entry.id, summaryOf(entry)]));
    for (const trackId of this.loaded.keys()) if (!this.listed.has(trackId)) this.loaded.delete(trackId);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async load(trackId: string): Promise<LoadedTrack | undefined> {
    if (!TRACK_ID.test(trackId) || !this.listed.has(trackId)) return undefined;
    const info = await this.files.lookup([trackId, TRACK_FILE]);
    if (!info) {
      this.loaded.delete(trackId);
      return undefined;
    }
    const cached = this.loaded.get(trackId);
    if (cached?.etag === info.etag) {
      this.loaded.delete(trackId);
      this.loaded.set(trackId, cached);
      return cached;
    }
    const track = await readTrack(this.files.root, trackId);
    if (!track) return undefined;
    const entry = { etag: info.etag, track, summary: summaryOf(catalogEntry(track)), files: new Set(listedFiles(track)) };
    this.loaded.set(trackId, entry);
    if (this.loaded.size > this.capacity) this.loaded.delete(this.loaded.keys().next().value!);
    return entry;
  }
}
