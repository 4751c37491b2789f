import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { CATALOG_FILE } from '../catalog/schema.js';
import { readCatalog, listTrackIds } from '../catalog/store.js';
import { displayPath, HlsaudioError } from '../errors.js';
import { authOptionsFromEnv } from '../realtime/auth.js';
import { checkRedisUrl } from '../realtime/redis-url.js';
import { checkPostgresUrl, isPostgresUrl } from '../analytics/postgres-url.js';
import { startServeApp } from '../serve/app.js';
import { interrupt } from './context.js';
import { numberOption } from './options.js';

/**
 * `hlsaudio serve <dir>`: checks that the folder is one `package` wrote, listens, prints where, and
 * runs until SIGINT or SIGTERM, then stops accepting and lets requests in flight finish.
 */
export interface ServeCliOptions {
  port: string;
  host: string;
  mediaCache: string;
  dataDir?: string;
  db?: string;
  jwks?: string;
  redis?: string;
  redisStreamMaxLen: string;
  redisPresenceTtl: string;
}

export async function runServe(dir: string, options: ServeCliOptions): Promise<void> {
  const port = numberOption('--port', options.port, { min: 0, max: 65535, integer: true });
  const mediaCacheMiB = numberOption('--media-cache', options.mediaCache, { min: 0, max: 1 << 20 });
  const streamMaxLen = numberOption('--redis-stream-max-len', options.redisStreamMaxLen, { min: 1, max: 1e9, integer: true });
  const presenceTtlMs = numberOption('--redis-presence-ttl', options.redisPresenceTtl, { min: 100, max: 86_400_000, integer: true });
  const redisUrl = options.redis ?? (process.env.HLSAUDIO_REDIS_URL || undefined);
  // `--db` is an SQLite file unless it is a postgres:// URL; HLSAUDIO_DB_URL, used without `--db`, is always a URL.
  const envDbUrl = process.env.HLSAUDIO_DB_URL || undefined;
  const dbUrl = options.db === undefined ? envDbUrl && checkPostgresUrl(envDbUrl, 'HLSAUDIO_DB_URL') : isPostgresUrl(options.db) ? checkPostgresUrl(options.db, '--db') : undefined;
  if (redisUrl !== undefined) checkRedisUrl(redisUrl, options.redis === undefined ? 'HLSAUDIO_REDIS_URL' : '--redis');
  const root = resolve(dir);
  const trackCount = await checkOutputFolder(root);
  const env = authOptionsFromEnv();
  const app = await startServeApp({
    root,
    mediaCacheBytes: Math.round(mediaCacheMiB * 2 ** 20),
    dataDir: options.dataDir === undefined ? undefined : resolve(options.dataDir),
    dbFile: options.db === undefined || dbUrl !== undefined ? undefined : resolve(options.db),
    dbUrl,
    realtime: { ...env, jwksFile: options.jwks ?? env.jwksFile },
    redis: redisUrl === undefined ? undefined : { url: redisUrl, streamMaxLen, presenceTtlMs },
  });
  const address = await app.listen(port, options.host).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const listening = `hlsaudio serve: ${trackCount} track${trackCount === 1 ? '' : 's'} from ${displayPath(root)} at http://${host}:${address.port}/ (player: /, events: ws://${host}:${address.port}/api/ws; Ctrl-C stops)`;
  process.stdout.write(`${[listening, ...app.notices.map((notice) => `hlsaudio ${notice}`)].join('\n')}\n`);
  if (!interrupt.signal.aborted) await new Promise((done) => interrupt.signal.addEventListener('abort', done, { once: true }));
  await app.close();
  process.stdout.write('hlsaudio serve: stopped\n');
}

/**
 * The number of tracks, or E_NOT_OUTPUT_FOLDER when the folder has no readable catalog.json: the
 * player page lists the catalog and the event server plays only what it lists, so track folders
 * alone (merged shards, say) would be served half-way.
 */
async function checkOutputFolder(root: string): Promise<number> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new HlsaudioError('E_NOT_OUTPUT_FOLDER', `${displayPath(root)}: ${info ? 'not a folder' : 'no such folder'}; serve a folder written by \`hlsaudio package … -o <dir>\``, { file: root });
  }
  const [catalog, ids] = await Promise.all([readCatalog(root), listTrackIds(root)]);
  if (!catalog && ids.length > 0) {
    throw new HlsaudioError('E_NOT_OUTPUT_FOLDER', `${displayPath(root)} has track folders but no readable catalog.json; write it with \`hlsaudio catalog ${displayPath(root)}\``, {
      file: join(root, CATALOG_FILE),
    });
  }
  if (!catalog) {
    throw new HlsaudioError('E_NOT_OUTPUT_FOLDER', `${displayPath(root)} is not an hlsaudio output folder (no catalog.json, no track folder with a track.json); write one with \`hlsaudio package <sources> -o ${displayPath(root)}\``, {
      file: root,
    });
  }
  return ids.length;
}
