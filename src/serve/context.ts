import type { IncomingMessage } from 'node:http';
import type { serveOptions } from '../defaults.js';
import type { Logger } from '../log.js';
import type { OptionValues } from '../option-table.js';
import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import type { FileCache } from './file-cache.js';
import type { FolderCatalog } from './folder-catalog.js';
import type { FrameViews } from './frame-views.js';
import type { OpenFiles } from './open-files.js';
import type { RangeCache } from './range-cache.js';
import type { TextFiles } from './text-files.js';
import type { VersionedPlaylists } from './versioned-playlists.js';

/** The serve options every route reads (serveOptions in defaults.ts gives each its default, bounds and meaning). */
export type ServeOptions = OptionValues<typeof serveOptions>;

/**
 * Who creates a streaming session: the user a verified token proves (`Authorization: Bearer`), or
 * the `user_id` the client gives where nothing can be verified (anonymous mode); null for nobody.
 * Rejects with E_AUTH for a token that fails verification or names another user.
 */
export type SessionUserResolver = (req: IncomingMessage, claimedUserId: string | undefined) => Promise<string | null>;

/** What the route handlers share: the folder's caches, the sessions, the options. */
export interface ServeContext {
  files: FileCache;
  /** The catalog snapshot every layer reads. */
  tracks: FolderCatalog;
  texts: TextFiles;
  /** Variant playlists with `?v=` media versions, as served. */
  playlists: VersionedPlaylists;
  views: FrameViews;
  ranges: RangeCache;
  openFiles: OpenFiles;
  streaming: AdaptiveStreamingManager;
  sessionUser: SessionUserResolver;
  logger: Logger;
  options: ServeOptions;
  startedAtMs: number;
}
