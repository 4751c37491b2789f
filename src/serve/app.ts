import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AnalyticsEngine, analyticsFile } from '../analytics/engine.js';
import { analyticsHandlers } from '../analytics/http.js';
import { analyticsDefaults } from '../defaults.js';
import { attachRealtime, type RealtimeServer } from '../realtime/attach.js';
import type { SessionDirectory } from '../realtime/deps.js';
import type { RealtimeOptions } from '../realtime/options.js';
import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import { CatalogTracks } from './catalog-tracks.js';
import { ListeningRecorder } from './listening-recorder.js';
import { createHlsServer, type HlsServer, type HlsServerOptions } from './server.js';
import { addWebRoutes } from './web-routes.js';

export interface ServeAppOptions extends HlsServerOptions {
  /** Server-side playlists and event-server stats (default `<root>/.hlsaudio`; dot-folders are never served). */
  dataDir?: string;
  /** The analytics database (default `<root>/.hlsaudio/analytics.db`). */
  dbFile?: string;
  realtime?: RealtimeOptions;
  /** How often catalog.json is checked for tracks added while serving. */
  catalogRefreshMs?: number;
  /** The scope a token needs to read `/api/analytics/…` when the event server verifies JWTs (default `analytics:read`). */
  analyticsReadScope?: string;
}

export interface ServeApp {
  /** Startup information for the user (the event server's authentication mode). */
  notices: string[];
  hls: HlsServer;
  realtime: RealtimeServer;
  analytics: AnalyticsEngine;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Closes the event server (1001 to every client, playlists flushed), then HTTP, then the analytics. */
  close(): Promise<void>;
}

const CATALOG_REFRESH_MS = 2000;

/**
 * Everything `hlsaudio serve` runs on one port: the HLS routes and sessions API (createHlsServer),
 * the event server at /api/ws with POST /api/events, the listening analytics and their routes, and
 * the player page at `/`. The streaming manager feeds the event server (quality of a Play,
 * recommendations) and the analytics (switches, rebuffers); the event server's playback changes
 * open and close analytics plays.
 */
export async function startServeApp(options: ServeAppOptions): Promise<ServeApp> {
  const {
    dataDir = join(options.root, '.hlsaudio'),
    dbFile = analyticsFile(options.root),
    realtime: realtimeOptions = {},
    catalogRefreshMs = CATALOG_REFRESH_MS,
    analyticsReadScope = analyticsDefaults.readScope,
    ...hlsOptions
  } = options;
  const log = options.log ?? ((message: string) => process.stderr.write(`hlsaudio serve: ${message}\n`));
  await mkdir(dataDir, { recursive: true });
  const analytics = new AnalyticsEngine({ file: dbFile, onWriteError: (error) => log(error.message) });
  const tracks = await CatalogTracks.open(options.root, catalogRefreshMs);
  let hls: HlsServer | undefined;
  let realtime: RealtimeServer | undefined;
  try {
    hls = await createHlsServer({
      ...hlsOptions,
      // Sessions only for what catalog.json lists; a track folder alone (a build in progress, a stray copy) is not served as a track.
      listed: (trackId) => tracks.has(trackId),
      // The event server holds the keys; in anonymous mode nobody is verified and sessions count per address.
      userOf: (req) => realtime?.userOf(req) ?? Promise.resolve(null),
    });
    const recorder = new ListeningRecorder(analytics, hls.streaming, log);
    // The event server's lines carry their own "hlsaudio realtime:" prefix.
    const realtimeLog = (line: string) => process.stderr.write(`${line}\n`);
    const notices: string[] = [];
    realtime = await attachRealtime(
      hls.server,
      { tracks, sessions: sessionDirectory(hls.streaming), dataDir, onPlayback: recorder.onPlayback, log: options.log ?? realtimeLog, announce: (line) => notices.push(line) },
      realtimeOptions,
    );
    const eventServer = realtime;
    hls.router.add('POST', '/api/events', ({ req, res }) => eventServer.handleEvents(req, res));
    // Plays hold listeners' addresses and user agents: in JWT mode only a token with the scope reads them.
    const handlers = analyticsHandlers(analytics, { trackExists: (id) => tracks.has(id), authorize: (req) => eventServer.authorize(req, analyticsReadScope) });
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
        await server.close();
        tracks.close();
        analytics.close();
      },
    };
  } catch (error) {
    await realtime?.close();
    await hls?.close();
    tracks.close();
    analytics.close();
    throw error;
  }
}

/** What the event server asks of the streaming sessions. */
function sessionDirectory(streaming: AdaptiveStreamingManager): SessionDirectory {
  const sessionFor = (trackId: string, sessionId: string | undefined) => {
    const session = sessionId === undefined ? undefined : streaming.peekSession(sessionId);
    return session?.track_id === trackId ? session : undefined;
  };
  return {
    qualityFor: (_userId, trackId, sessionId) => sessionFor(trackId, sessionId)?.current_quality,
    bufferPercentageFor: (_userId, trackId, sessionId) => sessionFor(trackId, sessionId)?.performance_metrics.buffer_health_percentage,
    onRecommendation: (listener) => {
      const forward = (recommendation: Parameters<Parameters<typeof streaming.on<'recommendation'>>[1]>[0]) =>
        listener({
          session_id: recommendation.session_id,
          // client_id may be an IP address (the sessions API's default): recommendations go by session.
          user_id: null,
          track_id: recommendation.track_id,
          from: recommendation.from_quality,
          to: recommendation.to_quality,
          reason: recommendation.reason,
        });
      streaming.on('recommendation', forward);
      return () => streaming.off('recommendation', forward);
    },
  };
}
