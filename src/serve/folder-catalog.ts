import { CATALOG_FILE, type CatalogInfo, TRACK_FILE, type TrackInfo } from '../catalog/schema.js';
import { type CatalogSnapshot, summaryOf, type TrackSummary } from '../catalog/snapshot.js';
import { readCatalog, readTrack } from '../catalog/store.js';
import { TRACK_ID } from '../catalog/track-id.js';
import type { FileCache, FileInfo } from './file-cache.js';

interface LoadedTrack {
  /** The snapshot this entry was last checked in. */
  epoch: number;
  /** track.json's validator when it was read. */
  etag: string;
  track: TrackInfo;
  /** Every file of the track a client may fetch, relative to the track folder: masters, playlists, media. */
  files: Set<string>;
}

/**
 * The served folder's catalog as one snapshot (CatalogSnapshot): catalog.json says which tracks
 * exist, and is the one thing whose change starts a new snapshot (checked every `refreshMs`;
 * `package` rewrites it, by rename, once each track has landed). A track's track.json is read on
 * first use and kept for the snapshot; in a new snapshot it is read again only if it changed. So
 * `Play`'s default quality, the sessions' ladders and the HTTP routes' file lists all come from the
 * same catalog, and a track the catalog does not list is not served. Files are looked up through the
 * file cache: a track.json or a media file symlinked from outside the folder is not a track's.
 */
export class FolderCatalog implements CatalogSnapshot {
  private summaries = new Map<string, TrackSummary>();
  private readonly loaded = new Map<string, LoadedTrack>();
  private epoch = 0;
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
    return this.summaries.get(trackId);
  }

  has(trackId: string): boolean {
    return this.summaries.has(trackId);
  }

  async getTrack(trackId: string): Promise<TrackInfo | undefined> {
    return (await this.load(trackId))?.track;
  }

  /** The file of a track at `relative` (such as `high/audio.aac`) if its track.json lists it. */
  async trackFile(trackId: string, relative: string): Promise<{ track: TrackInfo; file: FileInfo | undefined } | undefined> {
    const entry = await this.load(trackId);
    if (!entry) return undefined;
    if (!entry.files.has(relative)) return { track: entry.track, file: undefined };
    return { track: entry.track, file: await this.files.lookup([trackId, ...relative.split('/')]) };
  }

  /** Starts a new snapshot if catalog.json changed since the last one. */
  async refresh(): Promise<void> {
    this.files.forget([CATALOG_FILE]);
    const info = await this.files.lookup([CATALOG_FILE]);
    if (info?.etag === this.catalogEtag) return;
    const catalog: CatalogInfo | undefined = info ? await readCatalog(this.files.root) : undefined;
    this.catalogEtag = info?.etag;
    this.summaries = new Map((catalog?.tracks ?? []).map((entry) => [entry.id, summaryOf(entry)]));
    this.epoch++;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async load(trackId: string): Promise<LoadedTrack | undefined> {
    if (!TRACK_ID.test(trackId) || !this.summaries.has(trackId)) return undefined;
    const cached = this.loaded.get(trackId);
    if (cached?.epoch === this.epoch) return this.touch(trackId, cached);
    const epoch = this.epoch;
    // A new snapshot looks at track.json afresh, not through the file cache's last look.
    if (cached) this.files.forget([trackId, TRACK_FILE]);
    const info = await this.files.lookup([trackId, TRACK_FILE]);
    if (!info) {
      this.loaded.delete(trackId);
      return undefined;
    }
    if (cached?.etag === info.etag) {
      cached.epoch = epoch;
      return this.touch(trackId, cached);
    }
    const track = await readTrack(this.files.root, trackId);
    if (!track) return undefined;
    const files = new Set<string>([...track.masters.map((master) => master.file), ...track.variants.flatMap((variant) => [variant.playlist, variant.file])]);
    const entry = { epoch, etag: info.etag, track, files };
    this.loaded.set(trackId, entry);
    if (this.loaded.size > this.capacity) this.loaded.delete(this.loaded.keys().next().value!);
    return entry;
  }

  private touch(trackId: string, entry: LoadedTrack): LoadedTrack {
    this.loaded.delete(trackId);
    this.loaded.set(trackId, entry);
    return entry;
  }
}
