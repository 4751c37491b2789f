import { playbackLoudness } from '../catalog/schema.js';
import { addressKey, clientAddress } from '../client-address.js';
import { parseCreateSession, parseMetrics, parseQualityRequest } from '../streaming/validate.js';
import { readJsonBody } from '../http/body.js';
import type { ServeContext } from './context.js';
import { sendJson } from '../http/reply.js';
import type { Router } from './router.js';

/**
 * The sessions API of the spec ("Intégration", the React hook) around AdaptiveStreamingManager:
 *   POST   /api/streaming/session                {track_id, client_capabilities, user_id?} → 201 {session_id, initial_profile, master_url, loudness, peaks_url}
 *          The session's user (`context.identify`): a verified bearer token's subject (a bad token is 401;
 *          its sessions count in its user's quota), else in anonymous mode the user_id given (counted per address).
 *   GET    /api/streaming/session/:id            the StreamingSession
 *   PUT    /api/streaming/session/:id/quality    {quality, adaptive_enabled?, reason?} → the session
 *   POST   /api/streaming/session/:id/metrics    PerformanceMetrics → the session (with the monitor's recommendation)
 *   DELETE /api/streaming/session/:id            → the ended session
 *   GET    /api/streaming/stats                  get_streaming_stats
 */
export function addStreamingRoutes(router: Router, context: ServeContext): void {
  const { streaming } = context;
  const body = (req: Parameters<typeof readJsonBody>[0]) => readJsonBody(req, context.options.maxBodyBytes);

  router.add('POST', '/api/streaming/session', async ({ req, res, query }) => {
    const request = parseCreateSession(await body(req), query);
    const user = await context.identify(req, request.user_id);
    const address = clientAddress(req.socket, req.headers, context.trustProxy);
    const { session, profile } = await streaming.createSession({
      trackId: request.track_id,
      capabilities: request.client_capabilities,
      clientId: request.client_id ?? (address || 'unknown'),
      // Quotas count a verified user's sessions per user, anyone else's per address: client_id and an unverified user_id are the client's say.
      requester: { userId: user.userId, verified: user.verified, address: addressKey(address) },
    });
    // What the player needs besides the stream: the variant's loudness (to set its own gain) and the waveform.
    const track = await context.tracks.getTrack(session.track_id);
    const peaks = track?.peaks && (await context.tracks.trackFile(track.id, track.peaks.file))?.file;
    sendJson(
      res,
      201,
      {
        session_id: session.session_id,
        initial_profile: profile,
        master_url: session.master_url,
        loudness: track ? playbackLoudness(track, profile.quality_id) : null,
        // Its content-addressed name: cached immutable, like media.
        peaks_url: peaks && track?.peaks ? `/hls/${encodeURIComponent(session.track_id)}/${track.peaks.file}` : null,
      },
      { Location: `/api/streaming/session/${session.session_id}` },
    );
  });
  router.add('GET', '/api/streaming/session/:id', async ({ res, params }) => sendJson(res, 200, await streaming.getSession(params.id!)));
  router.add('PUT', '/api/streaming/session/:id/quality', async ({ req, res, params }) => {
    const request = parseQualityRequest(await body(req));
    sendJson(res, 200, await streaming.updateSessionQuality(params.id!, request.quality, { reason: request.reason, adaptiveEnabled: request.adaptive_enabled }));
  });
  router.add('POST', '/api/streaming/session/:id/metrics', async ({ req, res, params }) => {
    const metrics = parseMetrics(await body(req));
    sendJson(res, 200, await streaming.reportMetrics(params.id!, metrics));
  });
  router.add('DELETE', '/api/streaming/session/:id', async ({ res, params }) => sendJson(res, 200, await streaming.endSession(params.id!)));
  router.add('GET', '/api/streaming/stats', async ({ res }) => sendJson(res, 200, await streaming.getStreamingStats()));
}
