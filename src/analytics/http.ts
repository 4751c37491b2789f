import type { IncomingMessage, ServerResponse } from 'node:http';
import { analyticsDefaults } from '../defaults.js';
import { HlsaudioError, isHlsaudioError } from '../errors.js';
import { sendError, sendJson } from '../http/reply.js';
import { type Logger, stderrLogger } from '../log.js';
import type { AnalyticsEngine } from './engine.js';
import type { TimeRange } from './types.js';
import { fieldError } from '../errors.js';

/** A route handler as the serve router calls it; `params` holds the path's named parts (`:id`). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => void | Promise<void>;

export interface AnalyticsHandlerOptions {
  /**
   * Whether a track id is in the catalog served. A catalog track never played answers zeros; without
   * this, a track with no recorded play answers 404.
   */
  trackExists?: ((trackId: string) => boolean | Promise<boolean>) | undefined;
  /**
   * Who may read: resolves whether the caller may see the listeners' `ip` and `user_agent` in
   * `recent_sessions` (left out when false), or rejects with E_AUTH (401) or E_FORBIDDEN (403).
   * Without it every caller reads everything.
   */
  authorize?: ((req: IncomingMessage) => Promise<boolean>) | undefined;
  /** Told of a failure that is not the caller's (the answer is a 500); stderr by default. */
  logger?: Logger | undefined;
}

/**
 * `GET /api/analytics/summary?since=&until=&limit=` and `GET /api/analytics/tracks/:id?since=&until=`.
 * `since` and `until` bound the start of the plays counted (`since` included, `until` not), as epoch
 * milliseconds or ISO 8601 (`2025-06-01`, `2025-06-01T12:00:00Z`); `limit` caps the tracks listed.
 * Errors are JSON `{error: code, message}`: 400 for a bad parameter, 401 and 403 from `authorize`,
 * 404 for an unknown track.
 */
export function analyticsHandlers(engine: AnalyticsEngine, options: AnalyticsHandlerOptions = {}): { summary: RouteHandler; track: RouteHandler } {
  const logger = options.logger ?? stderrLogger;
  return {
    summary: (req, res) =>
      answer(res, logger, async () => {
        await options.authorize?.(req);
        const query = readQuery(req, ['since', 'until', 'limit']);
        const limit = query.get('limit');
        return engine.summary({ ...readRange(query), trackLimit: limit === undefined ? undefined : readLimit(limit) });
      }),
    track: (req, res, params) =>
      answer(res, logger, async () => {
        const listenerDetails = (await options.authorize?.(req)) ?? true;
        const range = readRange(readQuery(req, ['since', 'until']));
        const trackId = params.id ?? '';
        let details;
        try {
          details = await engine.trackDetails(trackId, range);
        } catch (error) {
          if (isHlsaudioError(error) && error.field === 'track_id') throw unknownTrack(trackId);
          throw error;
        }
        if (details.totals.plays === 0 && !(await options.trackExists?.(trackId))) throw unknownTrack(trackId);
        if (listenerDetails) return details;
        return { ...details, recent_sessions: details.recent_sessions.map(({ ip: _ip, user_agent: _userAgent, ...play }) => play) };
      }),
  };
}

async function answer(res: ServerResponse, logger: Logger, body: () => unknown): Promise<void> {
  try {
    sendJson(res, 200, await body());
  } catch (error) {
    // The message of an unexpected failure may name files: it goes to the log, not to the client.
    sendError(res, error, { logger, layer: 'analytics', internal: new HlsaudioError('E_ANALYTICS_DB', 'The analytics database could not be read') });
  }
}

function unknownTrack(trackId: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_TRACK', `No track ${JSON.stringify(trackId)} has analytics`, { field: 'id' });
}

/** The query string, each parameter at most once and among `accepted` (a misspelt one is an error, not ignored). */
function readQuery(req: IncomingMessage, accepted: readonly string[]): Map<string, string> {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const query = new Map<string, string>();
  for (const [name, value] of params) {
    if (!accepted.includes(name)) throw fieldError(name, `a known query parameter (${accepted.join(', ')})`, value);
    if (query.has(name)) throw fieldError(name, 'given once', params.getAll(name).join(','));
    query.set(name, value);
  }
  return query;
}

/** Epoch ms, a date (UTC midnight) or a date and time with its zone: never a local time that depends on the server. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function readTime(name: string, value: string): number {
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : ISO_DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw fieldError(name, 'epoch milliseconds or an ISO 8601 date (2025-06-01 or 2025-06-01T12:00:00Z)', value);
  return ms;
}

function readRange(query: Map<string, string>): TimeRange {
  const since = query.get('since');
  const until = query.get('until');
  const range: TimeRange = {
    sinceMs: since === undefined ? undefined : readTime('since', since),
    untilMs: until === undefined ? undefined : readTime('until', until),
  };
  if (range.sinceMs !== undefined && range.untilMs !== undefined && range.sinceMs >= range.untilMs) {
    throw fieldError('until', `later than \`since\` (${since})`, until);
  }
  return range;
}

function readLimit(value: string): number {
  const limit = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
  const max = analyticsDefaults.summaryTrackLimitMax;
  if (!(limit >= 1 && limit <= max)) throw fieldError('limit', `an integer from 1 to ${max}`, value);
  return limit;
}
