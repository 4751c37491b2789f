import { join } from 'node:path';
import { LEGACY_PLAYLISTS_FILE, PLAYLISTS_DB_FILE, readLegacyFile, readPlaylistsDb } from './playlists.js';
import type { RedisPlaylistStore } from './redis-playlists.js';

/**
 * At the start of `serve --redis`: playlists left in the data folder by single-node runs are never
 * silently ignored. They are moved into Redis once for the whole cluster when Redis holds none yet
 * (RedisPlaylistStore.importOnce: under a lock, resumed if cut short); otherwise the returned notice
 * says that the file is not used in this mode. The file itself is left as it is, so that the node can
 * go back to one process. Undefined when the folder has no playlist.
 */
export async function importDataFolderPlaylists(store: RedisPlaylistStore, dataDir: string): Promise<string | undefined> {
  const fromDb = readPlaylistsDb(join(dataDir, PLAYLISTS_DB_FILE));
  const [file, playlists] = fromDb !== undefined ? [PLAYLISTS_DB_FILE, fromDb] : [LEGACY_PLAYLISTS_FILE, readLegacyFile(join(dataDir, LEGACY_PLAYLISTS_FILE))];
  if (playlists === undefined || playlists.length === 0) return undefined;
  const outcome = await store.importOnce(join(dataDir, file), playlists);
  const unused = `realtime: ${file} of the data folder holds ${playlists.length} playlists, not used with --redis:`;
  switch (outcome.kind) {
    case 'imported':
      return `realtime: moved ${outcome.moved} playlists from ${file} into Redis, once for every node${outcome.skipped > 0 ? ` (${outcome.skipped} whose id Redis already held kept Redis's)` : ''}; the file is left as it is and not used with --redis`;
    case 'done-before':
      return `${unused} Redis holds the playlists (imported before: ${outcome.by})`;
    case 'redis-not-empty':
      return `${unused} Redis already held ${outcome.count} playlists, and a file is imported only into a Redis that holds none`;
    case 'locked':
      return `${unused} node ${outcome.by} is importing its own into Redis now`;
  }
}
