import type { IncomingMessage } from 'node:http';
import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import type { FileCache } from './file-cache.js';
import type { FrameViews } from './frame-views.js';
import type { OpenFiles } from './open-files.js';
import type { RangeCache } from './range-cache.js';
import type { TextFiles } from './text-files.js';
import type { TrackStore } from './track-store.js';

/** The serve options every route reads (serveDefaults gives each its default and meaning). */
export interface ServeOptions {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  connectionsCheckIntervalMs: number;
  socketIdleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
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
  views: FrameViews;
  ranges: RangeCache;
  openFiles: OpenFiles;
  streaming: AdaptiveStreamingManager;
  options: ServeOptions;
  startedAtMs: number;
  /** The verified user of a request (per-user quotas of the sessions API), or null; rejects with E_AUTH for a bad token. */
  userOf(req: IncomingMessage): Promise<string | null>;
}
