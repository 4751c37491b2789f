import { type Redis, ReplyError } from 'ioredis';
import { redisOptions, redisPlaylistOptions } from '../defaults.js';
import { HlsaudioError, optionError } from '../errors.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { PlaylistActor, PlaylistChange, PlaylistLimits, PlaylistRecord, PlaylistStore, StoredPlaylist } from './playlists.js';
import { playlistErrors } from './playlists.js';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import type { RedisOutage } from './redis-outage.js';
import { ADD_SCRIPT, GET_SCRIPT, IMPORT_SCRIPT, REMOVE_SCRIPT } from './redis-playlist-scripts.js';
import { maskUrlCredentials } from '../url-credentials.js';

type ConnectionLimits = OptionValues<typeof redisOptions>;
type ImportLimits = OptionValues<typeof redisPlaylistOptions>;

export interface RedisPlaylistStoreOptions extends Partial<ConnectionLimits>, Partial<ImportLimits> {
  url: string;
  /** This process's node id, shared with its RedisBroker: it names the connection in CLIENT LIST. */
  nodeId: string;
  limits: PlaylistLimits;
  /** Wall clock in ms (updated_at); Date.now by default. */
  now?: () => number;
  /** The node's outage (`serve`), told when this connection is down: `/healthz` says so. */
  outage?: RedisOutage;
}

/**
 * Where the playlists sit in Redis. One hash tag, so that a Redis Cluster would keep every key of a
 * script in one slot:
 *   <prefix>:{playlists}:p:<id>   hash: owner, address (the creating address of an unverified user, or ''), updated_at_ms
 *   <prefix>:{playlists}:t:<id>   list: the track ids in order (Redis deletes a list left empty)
 *   <prefix>:{playlists}:counts   hash: all, u:<user>, a:<address>: what the quotas count
 *   <prefix>:{playlists}:imported the import of a data folder's file, once done (JSON, never expires)
 *   <prefix>:{playlists}:importing an import under way (so that one cut short is resumed)
 *   <prefix>:{playlists}:import-lock held by the node importing (expires: importLockMs)
 * Nothing expires but the lock: playlists are data.
 */
export function playlistKeys(prefix: string) {
  const base = `${prefix}:{playlists}`;
  return {
    meta: (id: string) => `${base}:p:${id}`,
    tracks: (id: string) => `${base}:t:${id}`,
    counts: `${base}:counts`,
    imported: `${base}:imported`,
    importing: `${base}:importing`,
    importLock: `${base}:import-lock`,
  };
}

type PlaylistKeys = ReturnType<typeof playlistKeys>;
type Script = (...args: (string | number)[]) => Promise<unknown>;

/** What became of a data folder's playlists at start (redis-playlist-import.ts words it). */
export type ImportOutcome =
  | { kind: 'imported'; moved: number; skipped: number }
  | { kind: 'done-before'; by: string }
  | { kind: 'redis-not-empty'; count: number }
  | { kind: 'locked'; by: string };

/**
 * The PlaylistStore of `serve --redis`: every node reads and changes the same playlists, each change
 * one Lua script (redis-playlist-scripts.ts), so the playlist and its quotas hold cluster-wide. Its
 * own connection (`hlsaudio-playlists-<node>`): a script never waits behind the broker's batches.
 * While Redis is unreachable, or does not answer within socketTimeoutMs, every call rejects with
 * E_UNAVAILABLE (the connection has no offline queue); ioredis reconnects with the bus's backoff.
 */
export class RedisPlaylistStore implements PlaylistStore {
  private readonly addScript: Script;
  private readonly removeScript: Script;
  private readonly getScript: Script;
  private readonly importScript: Script;
  private closing: Promise<void> | undefined;
  private unwatch: (() => void) | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly keys: PlaylistKeys,
    private readonly limits: PlaylistLimits,
    private readonly options: ImportLimits & { where: string; nodeId: string; now: () => number },
  ) {
    // ioredis sends EVALSHA, and the script itself after a NOSCRIPT (a restarted Redis).
    const define = (name: string, lua: string): Script => {
      redis.defineCommand(name, { numberOfKeys: 3, lua });
      return (redis as unknown as Record<string, Script>)[name]!.bind(redis);
    };
    this.addScript = define('hlsaudioPlaylistAdd', ADD_SCRIPT);
    this.removeScript = define('hlsaudioPlaylistRemove', REMOVE_SCRIPT);
    this.getScript = define('hlsaudioPlaylistGet', GET_SCRIPT);
    this.importScript = define('hlsaudioPlaylistImport', IMPORT_SCRIPT);
  }

  /** Opens the store's connection; rejects with E_REDIS (the URL masked) when Redis cannot be reached. */
  static async connect(options: RedisPlaylistStoreOptions): Promise<RedisPlaylistStore> {
    const connection = resolveOptions(redisOptions, options, optionError);
    const imports = resolveOptions(redisPlaylistOptions, options, optionError);
    const redis = await openRedisConnection({ ...connection, url: options.url, name: `hlsaudio-playlists-${options.nodeId}` });
    const store = new RedisPlaylistStore(redis, playlistKeys(connection.keyPrefix), options.limits, {
      ...imports,
      where: maskUrlCredentials(options.url),
      nodeId: options.nodeId,
      now: options.now ?? Date.now,
    });
    store.unwatch = options.outage?.watch(redis, 'playlists', { without: 'server-side playlist commands are refused (E_UNAVAILABLE)' });
    return store;
  }

  async add(playlistId: string, trackId: string, position: number | null, actor: PlaylistActor): Promise<PlaylistChange> {
    const { maxTracks, maxCount, maxPerUser, maxPerAddress } = this.limits;
    const args = [trackId, position ?? '', actor.userId, actor.address ?? '', maxTracks, maxCount, maxPerUser, maxPerAddress, this.options.now()];
    const result = (await this.call(this.addScript, playlistId, args)) as [string, number?, number?];
    switch (result[0]) {
      case 'forbidden':
        throw playlistErrors.forbidden(playlistId);
      case 'serverFull':
        throw playlistErrors.serverFull(playlistId, maxCount);
      case 'userQuota':
        throw playlistErrors.userQuota(playlistId, actor.userId, maxPerUser);
      case 'addressQuota':
        throw playlistErrors.addressQuota(playlistId, maxPerAddress);
      case 'full':
        throw playlistErrors.full(playlistId, maxTracks);
      case 'pastEnd':
        throw playlistErrors.pastEnd(playlistId, result[1]!, result[2]!);
      default:
        return { action: result[0] as 'Added' | 'Reordered', position: result[1]!, track_count: result[2]! };
    }
  }

  async remove(playlistId: string, trackId: string, userId: string): Promise<PlaylistChange> {
    const result = (await this.call(this.removeScript, playlistId, [trackId, userId, this.options.now()])) as [string, number?, number?];
    switch (result[0]) {
      case 'unknown':
        throw playlistErrors.unknown(playlistId);
      case 'forbidden':
        throw playlistErrors.forbidden(playlistId);
      case 'notIn':
        throw playlistErrors.notIn(playlistId, trackId);
      default:
        return { action: 'Removed', position: result[1]!, track_count: result[2]! };
    }
  }

  async get(playlistId: string): Promise<PlaylistRecord | undefined> {
    const result = (await this.call(this.getScript, playlistId, [])) as string[];
    if (result.length === 0) return undefined;
    const [owner, updatedAtMs, ...tracks] = result;
    return { owner: owner!, tracks, updated_at: new Date(Number(updatedAtMs)).toISOString() };
  }

  async ownerOf(playlistId: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.hget(this.keys.meta(playlistId), 'owner'))) ?? undefined;
  }

  /** Playlists in all, as the quota counts them. */
  async count(): Promise<number> {
    return Number((await this.guard(() => this.redis.hget(this.keys.counts, 'all'))) ?? 0);
  }

  /**
   * Moves `playlists` (read from `source`, a data folder's file) in, once for the whole cluster:
   * only when Redis holds no playlist yet, or an earlier import was cut short, and only by the node
   * holding the import lock. Ids already taken keep their playlist.
   */
  async importOnce(source: string, playlists: readonly StoredPlaylist[]): Promise<ImportOutcome> {
    const { keys, redis } = this;
    return this.guard(async () => {
      const done = await redis.get(keys.imported);
      if (done !== null) return { kind: 'done-before', by: done };
      if ((await redis.set(keys.importLock, this.options.nodeId, 'PX', this.options.importLockMs, 'NX')) === null) {
        return { kind: 'locked', by: (await redis.get(keys.importLock)) ?? 'another node' };
      }
      try {
        const count = Number((await redis.hget(keys.counts, 'all')) ?? 0);
        if (count > 0 && (await redis.exists(keys.importing)) === 0) return { kind: 'redis-not-empty', count };
        await redis.set(keys.importing, this.options.nodeId);
        let moved = 0;
        for (let first = 0; first < playlists.length; first += this.options.importBatch) {
          const batch = playlists.slice(first, first + this.options.importBatch);
          const results = await Promise.all(batch.map((playlist) => this.importScript(keys.meta(playlist.id), keys.tracks(playlist.id), keys.counts, playlist.owner, playlist.address ?? '', playlist.updatedAtMs, ...playlist.tracks)));
          moved += results.filter((added) => added === 1).length;
        }
        const record = `${moved} playlists from ${source} by node ${this.options.nodeId} at ${new Date(this.options.now()).toISOString()}`;
        await redis.multi().set(keys.imported, record).del(keys.importing).exec();
        return { kind: 'imported', moved, skipped: playlists.length - moved };
      } finally {
        await redis.del(keys.importLock).catch(() => undefined);
      }
    });
  }

  close(): Promise<void> {
    this.unwatch?.();
    return (this.closing ??= closeRedisConnection(this.redis));
  }

  private call(script: Script, playlistId: string, args: (string | number)[]): Promise<unknown> {
    return this.guard(() => script(this.keys.meta(playlistId), this.keys.tracks(playlistId), this.keys.counts, ...args));
  }

  /**
   * An unreachable or silent Redis becomes E_UNAVAILABLE, which the command's answer carries: the
   * client may try again. An error Redis answered (a script's) is a bug of ours: it stays as it is,
   * to be logged as internal.
   */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      if (cause instanceof (ReplyError as new () => Error)) throw cause;
      throw new HlsaudioError('E_UNAVAILABLE', `playlists are unavailable: Redis at ${this.options.where} did not answer (${(cause as Error).message}); try again shortly`, { cause, retryAfterSec: 1 });
    }
  }
}
