import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveDefaults } from '../defaults.js';
import { type ErrorCode, HlsaudioError, isHlsaudioError } from '../errors.js';
import { AdaptiveStreamingManager, type StreamingOptions } from '../streaming/manager.js';
import type { ServeContext, ServeOptions } from './context.js';
import { answerPreflight, corsHeaders } from './cors.js';
import { FileCache } from './file-cache.js';
import { addFolderRoutes } from './folder-routes.js';
import { FrameViews } from './frame-views.js';
import { addHlsRoutes } from './hls-routes.js';
import { notFound, sendError } from './http-error.js';
import { OpenFiles } from './open-files.js';
import { RangeCache } from './range-cache.js';
import { HlsResponse } from './response.js';
import { parseRequestTarget } from './request-target.js';
import { Router } from './router.js';
import { addStreamRoute } from './stream-route.js';
import { addStreamingRoutes } from './streaming-routes.js';
import { TextFiles } from './text-files.js';
import { TrackStore } from './track-store.js';
import { VersionedPlaylists } from './versioned-playlists.js';

export interface HlsServerOptions extends Partial<ServeOptions> {
  /** The folder `package` wrote. */
  root: string;
  streaming?: Partial<StreamingOptions>;
  /** Start the quality monitor (judge metrics reports, expire idle sessions). Default true. */
  qualityMonitor?: boolean;
  /** Where internal errors (500s) are told; default stderr. */
  log?: (message: string) => void;
}

export interface HlsServer {
  /** The node:http server. Its `upgrade` event is left alone: the WebSocket server routes it. */
  server: Server;
  /** Add routes here (`router.add('GET', '/api/analytics/summary', handler)`), `/` for a player page. */
  router: Router;
  streaming: AdaptiveStreamingManager;
  /** The caches and options the routes share, for routes added from outside (the player page). */
  context: ServeContext;
  /** Listens; port 0 takes a free one. Rejects with E_LISTEN and a message that says what to do. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, ends idle connections, lets busy ones finish for `shutdownGraceMs`, then cuts them. */
  close(): Promise<void>;
}

/** The HTTP server of `hlsaudio serve` on a folder written by `package`. */
export async function createHlsServer(options: HlsServerOptions): Promise<HlsServer> {
  const { root, streaming: streamingOptions, qualityMonitor, log: logOption, ...overrides } = options;
  const settings: ServeOptions = { ...serveDefaults, ...definedOnly(overrides) };
  const log = logOption ?? ((message: string) => process.stderr.write(`hlsaudio serve: ${message}\n`));
  const files = await FileCache.create(root, { ttlMs: settings.fileCacheTtlMs, capacity: settings.fileCacheEntries });
  const texts = new TextFiles({ maxBytes: settings.maxPlaylistBytes, capacity: settings.fileCacheEntries });
  const tracks = new TrackStore(files, settings.fileCacheEntries);
  const streaming = new AdaptiveStreamingManager(tracks, streamingOptions);
  if (qualityMonitor !== false) streaming.startQualityMonitor();
  const context: ServeContext = {
    files,
    tracks,
    texts,
    playlists: new VersionedPlaylists(texts, settings.fileCacheEntries),
    views: new FrameViews(texts, settings.fileCacheEntries),
    ranges: new RangeCache(settings.mediaCacheBytes, settings.mediaCacheMaxEntryBytes),
    openFiles: new OpenFiles(settings.fileCacheTtlMs, settings.openFiles),
    streaming,
    options: settings,
    startedAtMs: performance.now(),
    bootId: randomUUID(),
  };

  const router = new Router();
  addHlsRoutes(router, context);
  addStreamRoute(router, context);
  addStreamingRoutes(router, context);
  addFolderRoutes(router, context);

  const cors = { origin: settings.corsOrigin, maxAgeSec: settings.corsMaxAgeSec };
  const baseHeaders = { ...corsHeaders(cors), 'X-Content-Type-Options': 'nosniff' };
  const onInternal = (error: unknown) => log(`internal error: ${(error as Error)?.stack ?? String(error)}`);

  async function handle(req: IncomingMessage, res: HlsResponse): Promise<void> {
    res.baseHeaders = baseHeaders;
    try {
      const target = parseRequestTarget(req.url ?? '', settings.maxUrlBytes);
      const method = req.method ?? 'GET';
      const match = router.match(method === 'OPTIONS' ? '' : method, target.segments);
      if (match === undefined) throw notFound('No such route or file');
      if ('allowed' in match) {
        if (method === 'OPTIONS') return answerPreflight(req, res, [...match.allowed, 'OPTIONS'], cors);
        res.setHeader('Allow', match.allowed.join(', '));
        throw new HlsaudioError('E_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${match.allowed.join(' or ')}`);
      }
      await match.handler({ req, res, params: match.params, query: target.query });
    } catch (error) {
      if (isHlsaudioError(error) && error.code === 'E_BODY_TOO_LARGE') res.setHeader('Connection', 'close');
      sendError(res, error, onInternal);
    }
  }

  const server = createServer({ ServerResponse: HlsResponse, keepAliveTimeout: settings.keepAliveTimeoutMs, headersTimeout: settings.headersTimeoutMs }, (req, res) => void handle(req, res as HlsResponse));
  server.on('clientError', (_error, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify({ error: 'E_BAD_REQUEST' satisfies ErrorCode, message: 'Malformed HTTP request' });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  return {
    server,
    router,
    streaming,
    context,
    listen: (port, host) => listen(server, port, host),
    close: async () => {
      await close(server, streaming, settings.shutdownGraceMs);
      context.openFiles.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(error, port, host));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): HlsaudioError {
  const where = `${host}:${port}`;
  const why =
    error.code === 'EADDRINUSE'
      ? `port ${port} is taken on ${host}; choose another with --port (0 takes a free one)`
      : error.code === 'EADDRNOTAVAIL'
        ? `${host} is not an address of this machine`
        : error.code === 'EACCES'
          ? `permission denied (ports below 1024 need privileges); choose another with --port`
          : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
            ? `${host} does not resolve to an address`
            : error.message;
  return new HlsaudioError('E_LISTEN', `Cannot listen on ${where}: ${why}`, { field: '--port', cause: error });
}

function close(server: Server, streaming: AdaptiveStreamingManager, graceMs: number): Promise<void> {
  streaming.close();
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Option objects may carry `undefined` for "not given"; those must not hide a default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
