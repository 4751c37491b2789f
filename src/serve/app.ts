import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AnalyticsEngine, analyticsFile } from '../analytics/engine.js';
import { analyticsHandlers } from '../analytics/http.js';
import { maskUrlCredentials } from '../url-credentials.js';
import { analyticsDefaults } from '../defaults.js';
import { attachRealtime, type RealtimeServer } from '../realtime/attach.js';
import type { RealtimeBroker } from '../realtime/broker.js';
import type { SessionDirectory } from '../realtime/deps.js';
import { type RealtimeOptions, resolveRealtimeOptions } from '../realtime/options.js';
import { playlistLimitsOf } from '../realtime/playlists.js';
import { importDataFolderPlaylists } from '../realtime/redis-playlist-import.js';
import { RedisOutage } from '../realtime/redis-outage.js';
import { RedisPlaylistStore } from '../realtime/redis-playlists.js';
import { stderrLogger } from '../log.js';
import { newNodeId, RedisBroker, type RedisBrokerOptions } from '../realtime/redis-broker.js';
import { RedisPresence, type RedisPresenceOptions } from '../realtime/redis-presence.js';
import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import { RedisSessionStore } from '../streaming/redis-session-store.js';
import type { QualityChange } from '../streaming/types.js';
import { ListeningRecorder, type QualityChanges, type RebufferReports, reportedRebuffers } from './listening-recorder.js';
import { createHlsServer, type HlsServer, type HlsServerOptions } from './server.js';
import { addWebRoutes } from './web-routes.js';

export interface ServeAppOptions extends HlsServerOptions {
  /** Server-side playlists and event-server stats (default `<root>/.hlsaudio`; dot-folders are never served). */
  dataDir?: string;
  /** The event server's stats file in `dataDir` (default `realtime-stats.json`). */
  statsFile?: string;
  /** The analytics database (default `<root>/.hlsaudio/analytics.db`). */
  dbFile?: string;
  /** Analytics in this PostgreSQL database instead (`--db postgres://…`); the URL is only shown masked. */
  dbUrl?: string;
  realtime?: RealtimeOptions;
  /** The scope a token needs to read `/api/analytics/…` when the event server verifies JWTs (default `analytics:read`). */
  analyticsReadScope?: string;
  /** Share events, presence and connection quotas with other `serve` nodes through this Redis (`--redis`); absent: they stay in this process. */
  redis?: RedisBrokerOptions & RedisPresenceOptions;
}

export interface ServeApp {
  /** Startup information for the user (the event server's authentication mode). */
  notices: string[];
  hls: HlsServer;
  realtime: RealtimeServer;
  analytics: AnalyticsEngine;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Closes the event server (1001 to every client, playlists flushed), then the Redis bus, then HTTP, then the analytics. */
  close(): Promise<void>;
}

/**
 * Everything `hlsaudio serve` runs on one port: the HLS routes and sessions API (createHlsServer),
 * the event server at /api/ws with POST /api/events, the listening analytics and their routes, and
 * the player page at `/`. The streaming manager feeds the event server (quality of a Play, its
 * QualityChanged) and the analytics (switches, rebuffers); the event server's playback changes
 * open and close analytics plays.
 */
export async function startServeApp(options: ServeAppOptions): Promise<ServeApp> {
  const {
    dataDir = join(options.root, '.hlsaudio'),
    statsFile,
    dbFile = analyticsFile(options.root),
    dbUrl,
    realtime: realtimeOptions = {},
    analyticsReadScope = analyticsDefaults.readScope,
    redis: redisOptions,
    ...hlsOptions
  } = options;
  const logger = options.logger ?? stderrLogger;
  await mkdir(dataDir, { recursive: true });
  const analytics = await AnalyticsEngine.open({ file: dbFile, url: dbUrl, logger });
  let hls: HlsServer | undefined;
  let realtime: RealtimeServer | undefined;
  let broker: RedisBroker | undefined;
  let sessionStore: RedisSessionStore | undefined;
  let presence: RedisPresence | undefined;
  let playlists: RedisPlaylistStore | undefined;
  let redisOutage: RedisOutage | undefined;
  const notices: string[] = [];
  try {
    if (redisOptions) {
      // One id for every Redis connection of this process (CLIENT LIST shows hlsaudio-<role>-<node>).
      const nodeId = redisOptions.nodeId ?? newNodeId();
      // One outage for the node's connections: one warning when Redis goes, one when it is back.
      const outage = new RedisOutage(maskUrlCredentials(redisOptions.url), (line) => logger.warn(line));
      redisOutage = outage;
      broker = await RedisBroker.connect({ logger, ...redisOptions, nodeId, outage });
      sessionStore = await RedisSessionStore.connect({ ...redisOptions, nodeId, outage });
      presence = await RedisPresence.connect({ logger, ...redisOptions, nodeId, outage });
      playlists = await RedisPlaylistStore.connect({ ...redisOptions, nodeId, outage, limits: playlistLimitsOf(resolveRealtimeOptions(realtimeOptions)) });
      const imported = await importDataFolderPlaylists(playlists, dataDir);
      if (imported) notices.push(imported);
    }
    hls = await createHlsServer({
      ...hlsOptions,
      sessionStore,
      logger,
      // The event server holds the keys: it says who a request to the sessions API speaks for. No
      // request is served before `listen`, by which time the event server is attached.
      identify: (req, claimed) => realtime?.identify(req, claimed) ?? Promise.resolve({ userId: null, verified: false }),
    });
    const redisBroker = broker;
    const redisPresence = presence;
    // Every shared service's reason, joined: one outage never hides another.
    const outage = redisOutage;
    hls.context.degradedReason = () => [outage?.reason, analytics.degradedReason()].filter((reason) => reason !== undefined).join('; ') || undefined;
    // One catalog store for all: HTTP routes and sessions (in hls), the event server, the analytics.
    const tracks = hls.context.tracks;
    // With Redis, every node's quality changes reach this node's plays through the bus (each once).
    const recorder = new ListeningRecorder(analytics, hls.streaming, logger, redisBroker && busSources(hls.streaming, redisBroker));
    if (dbUrl !== undefined) notices.push(`analytics: written to ${maskUrlCredentials(dbUrl)}, shared with the other nodes`);
    realtime = await attachRealtime(
      hls.server,
      { tracks, sessions: sessionDirectory(hls.streaming, broker), dataDir, statsFile, onPlayback: recorder.onPlayback, logger, announce: (line) => notices.push(line), broker, presence, quotas: presence?.quotas, playlists, trustProxy: options.trustProxy },
      realtimeOptions,
    );
    if (options.trustProxy) notices.push(`serve: clients are counted by X-Forwarded-For on connections from ${options.trustProxy.entries.join(', ')} (--trust-proxy)`);
    if (redisOptions) notices.push(`realtime: events, streaming sessions, presence, LiveStats, connection quotas and server-side playlists are shared with the other nodes through Redis (${maskUrlCredentials(redisOptions.url)})`);
    const eventServer = realtime;
    hls.router.add('POST', eventServer.eventsPath, ({ req, res }) => eventServer.handleEvents(req, res));
    // Plays hold listeners' addresses and user agents: in JWT mode only a token with the scope reads them.
    const handlers = analyticsHandlers(analytics, { trackExists: (id) => tracks.has(id), authorize: (req) => eventServer.authorize(req, analyticsReadScope), logger });
    hls.router.add('GET', '/api/analytics/summary', ({ req, res, params }) => handlers.summary(req, res, params));
    hls.router.add('GET', '/api/analytics/tracks/:id', ({ req, res, params }) => handlers.track(req, res, params));
    await addWebRoutes(hls.router, hls.context);
    const server = hls;
    return {
      notices,
      hls: server,
      realtime: eventServer,
      analytics,
      listen: (port, host) => server.listen(port, host),
      close: async () => {
        await eventServer.close();
        await redisPresence?.close();
        await playlists?.close();
        await redisBroker?.close();
        await server.close();
        await sessionStore?.close();
        await analytics.close();
      },
    };
  } catch (error) {
    await realtime?.close();
    await presence?.close();
    await playlists?.close();
    await broker?.close();
    await hls?.close();
    await sessionStore?.close();
    await analytics.close().catch(() => undefined);
    throw error;
  }
}

/**
 * What the event server asks of the streaming sessions. Its look-ups are synchronous (Play and Seek
 * answer at once), so they read this node's copy of the session (AdaptiveStreamingManager.cachedSession):
 * with Redis, a session made on another node is read when a connection names it (`watch`), and read
 * again when the bus carries its QualityChanged from another node. A failed read leaves the copy as it was.
 */
function sessionDirectory(streaming: AdaptiveStreamingManager, broker: RealtimeBroker | undefined): SessionDirectory {
  const refresh = (sessionId: string) => void streaming.peekSession(sessionId).catch(() => undefined);
  broker?.subscribe((delivery) => {
    if (delivery.to === 'session' && streaming.cachedSession(delivery.session_id)) refresh(delivery.session_id);
  });
  const sessionFor = (trackId: string, sessionId: string | undefined) => {
    const session = sessionId === undefined ? undefined : streaming.cachedSession(sessionId);
    return session?.track_id === trackId ? session : undefined;
  };
  return {
    watch: refresh,
    qualityFor: (trackId, sessionId) => sessionFor(trackId, sessionId)?.current_quality,
    bufferPercentageFor: (trackId, sessionId) => sessionFor(trackId, sessionId)?.performance_metrics.buffer_health_percentage,
    onQualityChange: (listener) => {
      const forward = (change: QualityChange) => listener(change);
      streaming.on('quality-changed', forward);
      return () => streaming.off('quality-changed', forward);
    },
  };
}

/**
 * The recorder's sources with several nodes: the QualityChanged deliveries of the bus, and the
 * rebuffers of the reports this node takes, published for the node holding the session's plays;
 * this node's own come back through the bus too, once, at once.
 */
function busSources(streaming: AdaptiveStreamingManager, broker: RealtimeBroker): { qualityChanges: QualityChanges; rebuffers: RebufferReports } {
  reportedRebuffers(streaming)((rebuffers) => broker.publish({ to: 'rebuffers', ...rebuffers }));
  return {
    qualityChanges: (listener) =>
      broker.subscribe((delivery) => {
        if (delivery.to === 'session' && delivery.event.event === 'QualityChanged') listener(delivery.event);
      }),
    rebuffers: (listener) =>
      broker.subscribe((delivery) => {
        if (delivery.to === 'rebuffers') listener(delivery);
      }),
  };
}
