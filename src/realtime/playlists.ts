import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { displayPath, HlsaudioError } from '../errors.js';
import type { Logger } from '../log.js';
import { openSqlite } from '../sqlite.js';
import type { RealtimeLimits } from './options.js';
import type { PlaylistAction } from './protocol.js';

/** The playlists database in the data folder. */
export const PLAYLISTS_DB_FILE = 'playlists.db';
/** The JSON file of hlsaudio before the database: read once, its playlists moved in, then renamed LEGACY_PLAYLISTS_FILE + `.migrated`. */
export const LEGACY_PLAYLISTS_FILE = 'playlists.json';

export interface PlaylistRecord {
  /** The user who created it; only that user may change it. */
  owner: string;
  tracks: string[];
  updated_at: string;
}

export interface PlaylistChange {
  action: PlaylistAction;
  /** Where the track now sits (Added, Reordered) or sat (Removed). */
  position: number;
  track_count: number;
}

/** Who adds to a playlist, which becomes its owner when the add creates it. */
export interface PlaylistActor {
  userId: string;
  /**
   * The remote address (client-address.ts key) when the user is not verified by a token: playlists
   * are then also counted per address, since anyone can claim any user_id without a token. Null for
   * a verified user, who is bounded by the per-user quota alone.
   */
  address: string | null;
}

/**
 * Server-side playlists, as the event server uses them: SQLite in one process, Redis shared by
 * several (redis-playlists.ts). Asynchronous because Redis is; the event server runs each
 * connection's commands one after another (command-queue.ts), so answers keep their order. Every
 * change is atomic with its quota checks, and both stores refuse with the same errors
 * (`playlistErrors`). A store that cannot be reached rejects with E_UNAVAILABLE.
 */
export interface PlaylistStore {
  /** Adds `trackId` at `position` (the end when null); a track already there moves instead (Reordered). Creates the playlist for `actor`, within the quotas. */
  add(playlistId: string, trackId: string, position: number | null, actor: PlaylistActor): Promise<PlaylistChange>;
  /** Removes the track; a playlist left empty is deleted (its id is free again). */
  remove(playlistId: string, trackId: string, userId: string): Promise<PlaylistChange>;
  get(playlistId: string): Promise<PlaylistRecord | undefined>;
  /** The owner, for delivering the playlist's PlaylistUpdated to that user only. */
  ownerOf(playlistId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** The refusals of every store, worded once. */
export const playlistErrors = {
  forbidden: (playlistId: string) => new HlsaudioError('E_FORBIDDEN', `playlist ${playlistId} belongs to another user`, { field: 'playlist_id' }),
  unknown: (playlistId: string) => new HlsaudioError('E_PLAYLIST', `unknown playlist ${playlistId}`, { field: 'playlist_id' }),
  notIn: (playlistId: string, trackId: string) => new HlsaudioError('E_PLAYLIST', `track ${trackId} is not in playlist ${playlistId}`, { field: 'track_id' }),
  full: (playlistId: string, maxTracks: number) => new HlsaudioError('E_PLAYLIST', `playlist ${playlistId} is full (${maxTracks} tracks)`, { field: 'playlist_id' }),
  pastEnd: (playlistId: string, at: number, length: number) =>
    new HlsaudioError('E_PLAYLIST', `position ${at} is past the end of playlist ${playlistId}: positions go from 0 to ${length}`, { field: 'position' }),
  serverFull: (playlistId: string, maxCount: number) =>
    new HlsaudioError('E_PLAYLIST', `cannot create playlist ${playlistId}: the server holds its maximum of ${maxCount} playlists`, { field: 'playlist_id' }),
  userQuota: (playlistId: string, userId: string, maxPerUser: number) =>
    new HlsaudioError('E_QUOTA', `cannot create playlist ${playlistId}: user ${userId} owns its maximum of ${maxPerUser} playlists; empty one to free its place`, { field: 'playlist_id' }),
  addressQuota: (playlistId: string, maxPerAddress: number) =>
    new HlsaudioError('E_QUOTA', `cannot create playlist ${playlistId}: connections from this address without a token created their maximum of ${maxPerAddress} playlists`, { field: 'playlist_id' }),
};

export interface PlaylistLimits {
  maxTracks: number;
  /** Playlists in all (E_PLAYLIST beyond). */
  maxCount: number;
  /** Per owner and per address (E_QUOTA beyond); 0 disables. */
  maxPerUser: number;
  maxPerAddress: number;
}

/** The playlist limits of the event server's options (`playlistMax*`, defaults.ts). */
export function playlistLimitsOf(options: Pick<RealtimeLimits, 'playlistMaxTracks' | 'playlistMaxCount' | 'playlistMaxPerUser' | 'playlistMaxPerAddress'>): PlaylistLimits {
  return { maxTracks: options.playlistMaxTracks, maxCount: options.playlistMaxCount, maxPerUser: options.playlistMaxPerUser, maxPerAddress: options.playlistMaxPerAddress };
}

const MIGRATIONS = [
  {
    version: 1,
    sql: `
      -- One row per playlist, its tracks a JSON array in order: a change rewrites one row, at most
      -- playlistMaxTracks ids, never the other playlists.
      CREATE TABLE playlists (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        address TEXT,
        tracks TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX playlists_by_owner ON playlists (owner);
      CREATE INDEX playlists_by_address ON playlists (address) WHERE address IS NOT NULL;
    `,
  },
];

/**
 * The playlists in `<dataDir>/playlists.db` (node:sqlite, WAL). Every change is one row written in
 * its own transaction before the command answers: with WAL and `synchronous = NORMAL` that is a
 * write to the log without an fsync (tens of microseconds), and a `kill -9` loses nothing committed.
 * Playlists are read from the file when a command names them, so memory does not grow with them.
 */
export class SqlitePlaylistStore implements PlaylistStore {
  private readonly select: StatementSync;
  private readonly insert: StatementSync;
  private readonly update: StatementSync;
  private readonly delete: StatementSync;
  private readonly countOwner: StatementSync;
  private readonly countAddress: StatementSync;
  /** All playlists: counted once at open, then kept, so that a creation does not count 100,000 rows. */
  private total: number;
  private closed = false;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly limits: PlaylistLimits,
  ) {
    this.select = db.prepare('SELECT owner, tracks, updated_at_ms FROM playlists WHERE id = ?');
    this.insert = db.prepare('INSERT INTO playlists (id, owner, address, tracks, updated_at_ms) VALUES (?, ?, ?, ?, ?)');
    this.update = db.prepare('UPDATE playlists SET tracks = ?, updated_at_ms = ? WHERE id = ?');
    this.delete = db.prepare('DELETE FROM playlists WHERE id = ?');
    this.countOwner = db.prepare('SELECT COUNT(*) AS n FROM playlists WHERE owner = ?');
    this.countAddress = db.prepare('SELECT COUNT(*) AS n FROM playlists WHERE address = ?');
    this.total = (db.prepare('SELECT COUNT(*) AS n FROM playlists').get() as { n: number }).n;
  }

  /** Opens the store of `dataDir`, moving in the playlists of a `playlists.json` left by an earlier hlsaudio. E_DATA when either is unreadable. */
  static open(dataDir: string, limits: PlaylistLimits, logger: Logger): SqlitePlaylistStore {
    const db = openSqlite(join(dataDir, PLAYLISTS_DB_FILE), { synchronous: 'NORMAL', busyTimeoutMs: 5000, migrations: MIGRATIONS, code: 'E_DATA', what: 'playlists' });
    try {
      const moved = migrateLegacyFile(db, join(dataDir, LEGACY_PLAYLISTS_FILE));
      if (moved !== undefined) logger.info(`realtime: moved ${moved} playlists from ${LEGACY_PLAYLISTS_FILE} into ${PLAYLISTS_DB_FILE} (the old file is kept as ${LEGACY_PLAYLISTS_FILE}.migrated)`);
      return new SqlitePlaylistStore(db, limits);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async get(playlistId: string): Promise<PlaylistRecord | undefined> {
    const row = this.row(playlistId);
    return row && { owner: row.owner, tracks: row.tracks, updated_at: new Date(row.updated_at_ms).toISOString() };
  }

  async ownerOf(playlistId: string): Promise<string | undefined> {
    return this.row(playlistId)?.owner;
  }

  get size(): number {
    return this.total;
  }

  async add(playlistId: string, trackId: string, position: number | null, actor: PlaylistActor): Promise<PlaylistChange> {
    const playlist = this.row(playlistId);
    if (playlist) this.checkOwner(playlistId, playlist.owner, actor.userId);
    else this.checkRoom(playlistId, actor);
    const current = playlist?.tracks ?? [];
    const existing = current.indexOf(trackId);
    const tracks = existing === -1 ? [...current] : current.filter((_, index) => index !== existing);
    if (existing === -1 && tracks.length >= this.limits.maxTracks) throw playlistErrors.full(playlistId, this.limits.maxTracks);
    const at = position ?? tracks.length;
    if (at > tracks.length) throw playlistErrors.pastEnd(playlistId, at, tracks.length);
    tracks.splice(at, 0, trackId);
    if (playlist) {
      this.update.run(JSON.stringify(tracks), Date.now(), playlistId);
    } else {
      this.insert.run(playlistId, actor.userId, actor.address, JSON.stringify(tracks), Date.now());
      this.total++;
    }
    return { action: existing === -1 ? 'Added' : 'Reordered', position: at, track_count: tracks.length };
  }

  async remove(playlistId: string, trackId: string, userId: string): Promise<PlaylistChange> {
    const playlist = this.row(playlistId);
    if (!playlist) throw playlistErrors.unknown(playlistId);
    this.checkOwner(playlistId, playlist.owner, userId);
    const at = playlist.tracks.indexOf(trackId);
    if (at === -1) throw playlistErrors.notIn(playlistId, trackId);
    const tracks = playlist.tracks.filter((_, index) => index !== at);
    if (tracks.length > 0) {
      this.update.run(JSON.stringify(tracks), Date.now(), playlistId);
    } else {
      // An empty playlist would count against its owner's quota and last forever: it goes.
      this.delete.run(playlistId);
      this.total--;
    }
    return { action: 'Removed', position: at, track_count: tracks.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private row(playlistId: string): { owner: string; tracks: string[]; updated_at_ms: number } | undefined {
    const row = this.select.get(playlistId) as { owner: string; tracks: string; updated_at_ms: number } | undefined;
    return row && { owner: row.owner, tracks: JSON.parse(row.tracks) as string[], updated_at_ms: row.updated_at_ms };
  }

  /** A new playlist fits the server, its user's quota and, for an unverified user, its address's. */
  private checkRoom(playlistId: string, actor: PlaylistActor): void {
    const { maxCount, maxPerUser, maxPerAddress } = this.limits;
    if (this.total >= maxCount) throw playlistErrors.serverFull(playlistId, maxCount);
    if (maxPerUser > 0 && (this.countOwner.get(actor.userId) as { n: number }).n >= maxPerUser) throw playlistErrors.userQuota(playlistId, actor.userId, maxPerUser);
    if (maxPerAddress > 0 && actor.address !== null && (this.countAddress.get(actor.address) as { n: number }).n >= maxPerAddress) {
      throw playlistErrors.addressQuota(playlistId, maxPerAddress);
    }
  }

  private checkOwner(playlistId: string, owner: string, userId: string): void {
    if (owner !== userId) throw playlistErrors.forbidden(playlistId);
  }
}

/** A playlist as a file of the data folder holds it, for moving it into another store. */
export interface StoredPlaylist {
  id: string;
  owner: string;
  /** The creating address (per-address quota), null for a verified user or an imported JSON playlist. */
  address: string | null;
  tracks: string[];
  updatedAtMs: number;
}

/**
 * Moves the playlists of an earlier hlsaudio's `playlists.json` into the database, in one
 * transaction, then renames the file aside; returns how many, or undefined when there is no file.
 * Empty playlists are left behind. A crash before the rename runs it again: existing ids are kept.
 */
function migrateLegacyFile(db: DatabaseSync, file: string): number | undefined {
  const playlists = readLegacyFile(file);
  if (playlists === undefined) return undefined;
  const insert = db.prepare('INSERT OR IGNORE INTO playlists (id, owner, address, tracks, updated_at_ms) VALUES (?, ?, NULL, ?, ?)');
  let moved = 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const playlist of playlists) moved += Number(insert.run(playlist.id, playlist.owner, JSON.stringify(playlist.tracks), playlist.updatedAtMs).changes);
    db.exec('COMMIT');
  } catch (cause) {
    db.exec('ROLLBACK');
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: cannot move its playlists into the database (${(cause as Error).message})`, { file, cause });
  }
  try {
    renameSync(file, `${file}.migrated`);
  } catch (cause) {
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: moved into the database, but cannot be renamed aside (${(cause as Error).message})`, { file, cause });
  }
  return moved;
}

/** The non-empty playlists of a `playlists.json`, or undefined when there is no such file; E_DATA when it is unreadable. */
export function readLegacyFile(file: string): StoredPlaylist[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: cannot read (${(cause as Error).message})`, { file, cause });
  }
  let playlists: [string, { owner: string; tracks: string[]; updated_at?: string }][];
  try {
    const parsed = JSON.parse(text) as { schema?: unknown; playlists?: unknown };
    if (parsed.schema !== 1 || typeof parsed.playlists !== 'object' || parsed.playlists === null) throw new Error(`schema ${String(parsed.schema)}`);
    playlists = Object.entries(parsed.playlists as Record<string, { owner: string; tracks: string[]; updated_at?: string }>);
    for (const [id, playlist] of playlists) {
      if (typeof playlist?.owner !== 'string' || !Array.isArray(playlist.tracks) || !playlist.tracks.every((track) => typeof track === 'string')) {
        throw new Error(`playlist ${id} is malformed`);
      }
    }
  } catch (cause) {
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: not a playlists file hlsaudio can read (${(cause as Error).message})`, { file, cause });
  }
  return playlists
    .filter(([, playlist]) => playlist.tracks.length > 0)
    .map(([id, playlist]) => {
      const at = Date.parse(playlist.updated_at ?? '');
      return { id, owner: playlist.owner, address: null, tracks: playlist.tracks, updatedAtMs: Number.isFinite(at) ? at : Date.now() };
    });
}

/** Every playlist of a `playlists.db`, read without changing it; undefined when there is no such file, E_DATA when it is unreadable. */
export function readPlaylistsDb(file: string): StoredPlaylist[] | undefined {
  if (!existsSync(file)) return undefined;
  let db: DatabaseSync | undefined;
  try {
    // As openSqlite does: a Node without node:sqlite gets this error, not a failed import of serve.
    const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined;
    if (!sqlite) throw new Error(`Node ${process.version} has no node:sqlite`);
    db = new sqlite.DatabaseSync(file, { readOnly: true });
    const rows = db.prepare('SELECT id, owner, address, tracks, updated_at_ms FROM playlists ORDER BY id').all() as { id: string; owner: string; address: string | null; tracks: string; updated_at_ms: number }[];
    return rows.map((row) => ({ id: row.id, owner: row.owner, address: row.address, tracks: JSON.parse(row.tracks) as string[], updatedAtMs: row.updated_at_ms }));
  } catch (cause) {
    throw new HlsaudioError('E_DATA', `${displayPath(file)}: cannot read its playlists (${(cause as Error).message})`, { file, cause });
  } finally {
    db?.close();
  }
}
