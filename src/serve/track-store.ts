import { listedFiles, TRACK_FILE, type TrackInfo } from '../catalog/schema.js';
import { readTrack } from '../catalog/store.js';
import { TRACK_ID } from '../catalog/track-id.js';
import type { TrackSource } from '../streaming/manager.js';
import type { FileCache, FileInfo } from './file-cache.js';

interface CachedTrack {
  etag: string;
  track: TrackInfo;
  /** Every file of the track a client may fetch, relative to the track folder: masters, playlists, media, peaks, retired ones. */
  files: Set<string>;
}

/**
 * The tracks of the served folder, read from their track.json through the file cache (so a rebuilt
 * track is seen within the cache's TTL, and a track.json symlinked from outside is not a track).
 * track.json says which files a track has, and only those are served: the current build's, and
 * the retired ones of earlier builds it still lists (they go when a later `package` run unlists them).
 */
export class TrackStore implements TrackSource {
  private readonly tracks = new Map<string, CachedTrack>();

  constructor(
    private readonly files: FileCache,
    /** Tracks kept parsed at once (least recently used dropped first). */
    private readonly capacity: number,
  ) {}

  async getTrack(trackId: string): Promise<TrackInfo | undefined> {
    return (await this.entry(trackId))?.track;
  }

  /** The file of a track at `relative` (such as `high/audio.0123456789ab.aac`) if track.json lists it. */
  async trackFile(trackId: string, relative: string): Promise<{ track: TrackInfo; file: FileInfo | undefined } | undefined> {
    let entry = await this.entry(trackId);
    if (entry && !entry.files.has(relative)) {
      // A rebuild may have landed since track.json was looked at (a master read afresh names the new
      // build's playlists): look at it again before answering 404.
      this.files.forget([trackId, TRACK_FILE]);
      entry = await this.entry(trackId);
    }
    if (!entry) return undefined;
    if (!entry.files.has(relative)) return { track: entry.track, file: undefined };
    return { track: entry.track, file: await this.files.lookup([trackId, ...relative.split('/')]) };
  }

  private async entry(trackId: string): Promise<CachedTrack | undefined> {
    if (!TRACK_ID.test(trackId)) return undefined;
    const info = await this.files.lookup([trackId, TRACK_FILE]);
    if (!info) {
      this.tracks.delete(trackId);
      return undefined;
    }
    const cached = this.tracks.get(trackId);
    if (cached?.etag === info.etag) {
      this.tracks.delete(trackId);
      this.tracks.set(trackId, cached);
      return cached;
    }
    const track = await readTrack(this.files.root, trackId);
    if (!track) return undefined;
    const files = new Set<string>(listedFiles(track));
    const entry = { etag: info.etag, track, files };
    this.tracks.set(trackId, entry);
    if (this.tracks.size > this.capacity) this.tracks.delete(this.tracks.keys().next().value!);
    return entry;
  }
}
