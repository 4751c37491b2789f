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
import type { TrustedProxies } from '../trusted-proxies.js';

/** The serve options every route reads (serveOptions in defaults.ts gives each its default, bounds and meaning). */
export type ServeOptions = OptionValues<typeof serveOptions>;

/** Who a request speaks for: its user, and whether a token proved it. */
export interface RequestUser {
  userId: string | null;
  verified: boolean;
}

/**
 * The user a request speaks for: the one a verified token proves (`Authorization: Bearer`), or the
 * `user_id` the client gives where nothing can be verified (anonymous mode); null for nobody.
 * Rejects with E_AUTH for a token that fails verification or names another user.
 */
export type RequestUserResolver = (req: IncomingMessage, claimedUserId: string | undefined) => Promise<RequestUser>;

/** What the route handlers share: the folder's caches, the sessions, the options. */
export interface ServeContext {
  files: FileCache;
  /** The catalog snapshot every layer reads. */
  tracks: FolderCatalog;
  texts: TextFiles;
  views: FrameViews;
  ranges: RangeCache;
  openFiles: OpenFiles;
  streaming: AdaptiveStreamingManager;
  /** Who creates a session: its user, and the per-user quota when a token proved it. */
  identify: RequestUserResolver;
  logger: Logger;
  options: ServeOptions;
  /** Whose `X-Forwarded-For` names the client (`--trust-proxy`), for `clientAddress`. */
  trustProxy: TrustedProxies | undefined;
  startedAtMs: number;
  /** Why this node serves in a degraded state (`/healthz`), or undefined; set by whoever runs a shared service (the Redis event bus). */
  degradedReason?: (() => string | undefined) | undefined;
  /** Random per process start (`/healthz` `boot_id`): a client that sees it change knows the in-memory sessions are gone. */
  bootId: string;
}
