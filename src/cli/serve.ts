import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { CATALOG_FILE } from '../catalog/schema.js';
import { readCatalog, listTrackIds } from '../catalog/store.js';
import { workerDefaults } from '../defaults.js';
import { displayPath, HlsaudioError, isHlsaudioError, optionError } from '../errors.js';
import { authOptionsFromEnv } from '../realtime/auth.js';
import { checkRedisUrl } from '../realtime/redis-url.js';
import { checkPostgresUrl, isPostgresUrl } from '../analytics/postgres-url.js';
import { startServeApp } from '../serve/app.js';
import { TrustedProxies } from '../trusted-proxies.js';
import { interrupt } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { numberOption } from './options.js';
import { followPrimary, reportListening, reportStartFailure, superviseWorkers, workerIndex } from './serve-workers.js';

/**
 * `hlsaudio serve <dir>`: checks that the folder is one `package` wrote, listens, prints where, and
 * runs until SIGINT or SIGTERM, then stops accepting and lets requests in flight finish. With
 * `--workers`, this process forks the workers (serve-workers.ts), each of which runs this same
 * function as a node of its own.
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
  trustProxy?: string;
  workers?: string;
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
  const trustProxyList = options.trustProxy ?? (process.env.HLSAUDIO_TRUST_PROXY || undefined);
  const trustProxy = trustProxyList === undefined ? undefined : TrustedProxies.parse(trustProxyList, options.trustProxy === undefined ? 'HLSAUDIO_TRUST_PROXY' : '--trust-proxy');
  const workers = options.workers === undefined ? undefined : workerCount(options.workers);
  if (workers !== undefined && redisUrl === undefined) {
    throw new HlsaudioError(
      'E_OPTION',
      'Expected `--workers` to come with `--redis <url>` (or HLSAUDIO_REDIS_URL), got no Redis URL: each worker is a process of its own, and only a shared Redis carries the events between them',
      { field: '--workers' },
    );
  }
  const root = resolve(dir);
  const trackCount = await checkOutputFolder(root);
  const describe = (address: AddressInfo, notices: string[]) => {
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const processes = workers === undefined ? '' : `${workers} worker${workers === 1 ? '' : 's'}, `;
    const listening = `hlsaudio serve: ${trackCount} track${trackCount === 1 ? '' : 's'} from ${displayPath(root)} at http://${host}:${address.port}/ (${processes}player: /, events: ws://${host}:${address.port}/api/ws; Ctrl-C stops)`;
    process.stdout.write(`${[listening, ...notices.map((notice) => `hlsaudio ${notice}`)].join('\n')}\n`);
  };
  if (workers !== undefined && cluster.isPrimary) {
    await superviseWorkers({ count: workers, announce: describe });
    process.stdout.write('hlsaudio serve: stopped\n');
    return;
  }
  const worker = cluster.isWorker ? cluster.worker : undefined;
  if (worker) followPrimary();
  const env = authOptionsFromEnv();
  let app: Awaited<ReturnType<typeof startServeApp>>;
  let address: AddressInfo;
  try {
    app = await startServeApp({
      root,
      mediaCacheBytes: Math.round(mediaCacheMiB * 2 ** 20),
      dataDir: options.dataDir === undefined ? undefined : resolve(options.dataDir),
      // Workers share the data folder: each writes its own stats at shutdown.
      ...(worker ? { statsFile: `realtime-stats.worker-${workerIndex()}.json` } : {}),
      dbFile: options.db === undefined || dbUrl !== undefined ? undefined : resolve(options.db),
      dbUrl,
      realtime: { ...env, jwksFile: options.jwks ?? env.jwksFile },
      trustProxy,
      // A worker's node id names it in Redis (CLIENT LIST) by its number as well.
      redis: redisUrl === undefined ? undefined : { url: redisUrl, streamMaxLen, presenceTtlMs, ...(worker ? { nodeId: `worker-${worker.id}-${randomBytes(6).toString('hex')}` } : {}) },
    });
    const started = app;
    address = await started.listen(port, options.host).catch(async (error: unknown) => {
      await started.close();
      throw error;
    });
  } catch (error) {
    if (!worker) throw error;
    // The primary prints it once for all workers, and exits with its status.
    await reportStartFailure(error);
    process.exitCode = isHlsaudioError(error) ? exitCodeFor(error.code) : EXIT.failures;
    return;
  }
  if (worker) reportListening(address, app.notices);
  else describe(address, app.notices);
  if (!interrupt.signal.aborted) await new Promise((done) => interrupt.signal.addEventListener('abort', done, { once: true }));
  await app.close();
  // The IPC channel would keep a worker alive; the primary prints "stopped" once all have left.
  if (worker) worker.disconnect();
  else process.stdout.write('hlsaudio serve: stopped\n');
}

/** `--workers N|auto`: auto is one per core this process may use. */
function workerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > workerDefaults.maxWorkers) {
    throw optionError('--workers', `an integer from 1 to ${workerDefaults.maxWorkers}, or auto`, value);
  }
  return Number(value);
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
