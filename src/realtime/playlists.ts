import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { displayPath, HlsaudioError } from '../errors.js';
import { writeFileAtomic } from '../fs.js';
import type { Logger } from '../log.js';
import type { PlaylistAction } from './protocol.js';

export const PLAYLISTS_FILE = 'playlists.json';
const PLAYLISTS_SCHEMA = 1;

export interface PlaylistRecord {
  /** The user who created it; only that user may change it. */
  owner: string;
  tracks: string[];
  updated_at: string;
}

interface PlaylistsFile {
  schema: number;
  playlists: Record<string, PlaylistRecord>;
}

export interface PlaylistChange {
  action: PlaylistAction;
  /** Where the track now sits (Added, Reordered) or sat (Removed). */
  position: number;
  track_count: number;
}

export interface PlaylistStoreOptions {
  maxTracks: number;
  maxCount: number;
  flushDelayMs: number;
  logger: Logger;
}

/**
 * Server-side playlists, kept in memory and written to `<dataDir>/playlists.json` atomically, at most
 * `flushDelayMs` after a change (a burst of changes costs one write) and at close. A write that
 * fails is logged and retried with the next change or at close; the file on disk stays the last
 * complete version.
 */
export class PlaylistStore {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly playlists: Map<string, PlaylistRecord>,
    private readonly options: PlaylistStoreOptions,
  ) {}

  static async open(dataDir: string, options: PlaylistStoreOptions): Promise<PlaylistStore> {
    const file = join(dataDir, PLAYLISTS_FILE);
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (cause) {
      throw new HlsaudioError('E_DATA', `${displayPath(dataDir)}: cannot create the data folder (${(cause as Error).message})`, { file: dataDir, cause });
    }
    return new PlaylistStore(file, await readPlaylists(file), options);
  }

  get(playlistId: string): PlaylistRecord | undefined {
    return this.playlists.get(playlistId);
  }

  get size(): number {
    return this.playlists.size;
  }

  /** Adds `trackId` at `position` (the end when null); a track already there moves instead (Reordered). */
  add(playlistId: string, trackId: string, position: number | null, userId: string): PlaylistChange {
    let playlist = this.playlists.get(playlistId);
    if (playlist) {
      this.checkOwner(playlistId, playlist, userId);
    } else {
      if (this.playlists.size >= this.options.maxCount) {
        throw new HlsaudioError('E_PLAYLIST', `cannot create playlist ${playlistId}: the server holds its maximum of ${this.options.maxCount} playlists`, { field: 'playlist_id' });
      }
      playlist = { owner: userId, tracks: [], updated_at: '' };
    }
    const existing = playlist.tracks.indexOf(trackId);
    const tracks = existing === -1 ? [...playlist.tracks] : playlist.tracks.filter((_, index) => index !== existing);
    if (existing === -1 && tracks.length >= this.options.maxTracks) {
      throw new HlsaudioError('E_PLAYLIST', `playlist ${playlistId} is full (${this.options.maxTracks} tracks)`, { field: 'playlist_id' });
    }
    const at = position ?? tracks.length;
    if (at > tracks.length) {
      throw new HlsaudioError('E_PLAYLIST', `position ${at} is past the end of playlist ${playlistId}: positions go from 0 to ${tracks.length}`, { field: 'position' });
    }
    tracks.splice(at, 0, trackId);
    this.save(playlistId, { ...playlist, tracks });
    return { action: existing === -1 ? 'Added' : 'Reordered', position: at, track_count: tracks.length };
  }

  remove(playlistId: string, trackId: string, userId: string): PlaylistChange {
    const playlist = this.playlists.get(playlistId);
    if (!playlist) throw new HlsaudioError('E_PLAYLIST', `unknown playlist ${playlistId}`, { field: 'playlist_id' });
    this.checkOwner(playlistId, playlist, userId);
    const at = playlist.tracks.indexOf(trackId);
    if (at === -1) throw new HlsaudioError('E_PLAYLIST', `track ${trackId} is not in playlist ${playlistId}`, { field: 'track_id' });
    const tracks = playlist.tracks.filter((_, index) => index !== at);
    this.save(playlistId, { ...playlist, tracks });
    return { action: 'Removed', position: at, track_count: tracks.length };
  }

  /** Writes pending changes now. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private save(playlistId: string, playlist: PlaylistRecord): void {
    this.playlists.set(playlistId, { ...playlist, updated_at: new Date().toISOString() });
    this.dirty = true;
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushDelayMs);
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const content: PlaylistsFile = { schema: PLAYLISTS_SCHEMA, playlists: Object.fromEntries(this.playlists) };
    try {
      await writeFileAtomic(this.file, `${JSON.stringify(content)}\n`);
    } catch (error) {
      this.dirty = true;
      this.options.logger.warn(`realtime: cannot write ${displayPath(this.file)} (${(error as Error).message}); will retry with the next change`);
    }
  }

  private checkOwner(playlistId: string, playlist: PlaylistRecord, userId: string): void {
    if (playlist.owner !== userId) throw new HlsaudioError('E_FORBIDDEN', `playlist ${playlistId} belongs to another user`, { field: 'playlist_id' });
  }
}

async function readPlaylists(file: string): Promise<Map<string, PlaylistRecord>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: cannot read (${(cause as Error).message})`, { file, cause });
  }
  try {
    const parsed = JSON.parse(text) as PlaylistsFile;
    if (parsed.schema !== PLAYLISTS_SCHEMA || typeof parsed.playlists !== 'object' || parsed.playlists === null) {
      throw new Error(`schema ${String(parsed.schema)}`);
    }
    for (const [id, playlist] of Object.entries(parsed.playlists)) {
      if (typeof playlist?.owner !== 'string' || !Array.isArray(playlist.tracks)) throw new Error(`playlist ${id} is malformed`);
    }
    return new Map(Object.entries(parsed.playlists));
  } catch (cause) {
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: not a playlists file hlsaudio ${PLAYLISTS_SCHEMA} can read (${(cause as Error).message})`, { file, cause });
  }
}
