import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import type { FileCache } from './file-cache.js';
import type { FrameViews } from './frame-views.js';
import type { OpenFiles } from './open-files.js';
import type { RangeCache } from './range-cache.js';
import type { TextFiles } from './text-files.js';
import type { TrackStore } from './track-store.js';
import type { VersionedPlaylists } from './versioned-playlists.js';

/** The serve options every route reads (serveDefaults gives each its default and meaning). */
export interface ServeOptions {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  maxBodyBytes: number;
  maxUrlBytes: number;
  fileCacheTtlMs: number;
  fileCacheEntries: number;
  maxPlaylistBytes: number;
  gzipMinBytes: number;
  mediaMaxAgeSec: number;
  playlistMaxAgeSec: number;
  corsOrigin: string;
  corsMaxAgeSec: number;
  readChunkBytes: number;
  mediaCacheBytes: number;
  mediaCacheMaxEntryBytes: number;
  openFiles: number;
  shutdownGraceMs: number;
}

/** What the route handlers share: the folder's caches, the sessions, the options. */
export interface ServeContext {
  files: FileCache;
  tracks: TrackStore;
  texts: TextFiles;
  /** Variant playlists with `?v=` media versions, as served. */
  playlists: VersionedPlaylists;
  views: FrameViews;
  ranges: RangeCache;
  openFiles: OpenFiles;
  streaming: AdaptiveStreamingManager;
  options: ServeOptions;
  startedAtMs: number;
  /** Random per process start (`/healthz` `boot_id`): a client that sees it change knows the in-memory sessions are gone. */
  bootId: string;
}
