import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveOptions } from '../defaults.js';
import { HlsaudioError, optionError } from '../errors.js';
import { resolveOptions } from '../option-table.js';
import { AdaptiveStreamingManager, type StreamingOptions } from '../streaming/manager.js';
import type { SessionStore } from '../streaming/session-store.js';
import { clientErrorHandler, limitConnections } from './connections.js';
import type { RequestUserResolver, ServeContext, ServeOptions } from './context.js';
import { answerPreflight, corsHeaders } from './cors.js';
import { FileCache } from './file-cache.js';
import { FolderCatalog } from './folder-catalog.js';
import { addFolderRoutes } from './folder-routes.js';
import { FrameViews } from './frame-views.js';
import { addHlsRoutes } from './hls-routes.js';
import { notFound, sendError } from '../http/reply.js';
import { type Logger, stderrLogger } from '../log.js';
import { OpenFiles } from './open-files.js';
import { RangeCache } from './range-cache.js';
import { HlsResponse } from './response.js';
import { parseRequestTarget } from './request-target.js';
import { Router } from './router.js';
import { addStreamRoute } from './stream-route.js';
import { addStreamingRoutes } from './streaming-routes.js';
import { TextFiles } from './text-files.js';
import type { TrustedProxies } from '../trusted-proxies.js';

export interface HlsServerOptions extends Partial<ServeOptions> {
  /** The folder `package` wrote. */
  root: string;
  streaming?: Partial<StreamingOptions>;
  /** Where the sessions live: this process's memory by default, Redis with `serve --redis` (the caller closes it). */
  sessionStore?: SessionStore;
  /** Start the quality monitor (judge metrics reports, expire idle sessions). Default true. */
  qualityMonitor?: boolean;
  /** Where internal errors (500s) are told; default stderr. */
  logger?: Logger;
  /**
   * Who a request to the sessions API speaks for (a session's user; per-user quotas for a verified
   * one). By default the `user_id` the client gives, unverified: its sessions count per address.
   */
  identify?: RequestUserResolver;
  /**
   * The load balancers whose `X-Forwarded-For` names the client (`serve --trust-proxy`): every
   * per-address limit and record then counts that client (client-address.ts), and their own
   * connections are left out of `maxConnectionsPerAddress`. Absent: the TCP peer, header ignored.
   */
  trustProxy?: TrustedProxies | undefined;
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
  const { root, streaming: streamingOptions, sessionStore, qualityMonitor, logger = stderrLogger, identify, trustProxy, ...overrides } = options;
  const settings: ServeOptions = resolveOptions(serveOptions, overrides, optionError);
  const files = await FileCache.create(root, { ttlMs: settings.fileCacheTtlMs, capacity: settings.fileCacheEntries });
  const texts = new TextFiles({ maxBytes: settings.maxPlaylistBytes, capacity: settings.fileCacheEntries });
  // Sessions, like every route, only for what catalog.json lists: a track folder alone (a build in
  // progress, a stray copy) is not served as a track.
  const tracks = await FolderCatalog.open(files, { refreshMs: settings.catalogRefreshMs, capacity: settings.fileCacheEntries });
  const streaming = new AdaptiveStreamingManager(tracks, streamingOptions, sessionStore);
  if (qualityMonitor !== false) streaming.startQualityMonitor();
  const context: ServeContext = {
    files,
    tracks,
    texts,
    views: new FrameViews(texts, settings.fileCacheEntries),
    ranges: new RangeCache(settings.mediaCacheBytes, settings.mediaCacheMaxEntryBytes),
    openFiles: new OpenFiles(settings.fileCacheTtlMs, settings.openFiles),
    streaming,
    identify: identify ?? (async (_req, claimed) => ({ userId: claimed ?? null, verified: false })),
    options: settings,
    trustProxy,
    logger,
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

  async function handle(req: IncomingMessage, res: HlsResponse): Promise<void> {
    res.baseHeaders = baseHeaders;
    try {
      // Node answers this itself with an empty 400 (`requireHostHeader`); ours says why, as JSON.
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        res.setHeader('Connection', 'close');
        throw new HlsaudioError('E_BAD_REQUEST', 'An HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)');
      }
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
      sendError(res, error, { logger, layer: 'serve' });
    }
  }

  const server = createServer(
    {
      ServerResponse: HlsResponse,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      connectionsCheckingInterval: settings.connectionsCheckIntervalMs,
      requireHostHeader: false,
    },
    (req, res) => void handle(req, res as HlsResponse),
  );
  server.setTimeout(settings.socketIdleTimeoutMs);
  server.on('clientError', clientErrorHandler(settings));
  limitConnections(server, settings, trustProxy);

  return {
    server,
    router,
    streaming,
    context,
    listen: (port, host) => listen(server, port, host),
    close: async () => {
      await close(server, streaming, settings.shutdownGraceMs);
      context.openFiles.close();
      tracks.close();
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
