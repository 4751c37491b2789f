import type { IncomingMessage, ServerResponse } from 'node:http';
import { HlsaudioError, quote } from '../errors.js';
import { readBody } from '../http/body.js';
import { sendError, sendJson } from '../http/reply.js';
import { checkId } from '../ids.js';
import { parseJson } from '../json.js';
import type { Logger } from '../log.js';
import type { Authenticator } from './auth.js';
import { bearerToken } from './http-reply.js';
import type { WebSocketManager } from './manager.js';
import type { ResolvedRealtimeOptions } from './options.js';
import type { ServerEvent } from './protocol.js';
import { toEvent } from './validate.js';

export type EventsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * `POST /api/events`: other services publish spec events. The body is one event or an array of
 * events, in the wire form (`{"event": "TrackLiked", ...}`). Without a query they are broadcast;
 * `?user_id=` sends them to that user's connections, `?connection_id=` to one connection. The caller
 * sends `Authorization: Bearer <JWT>` whose `scope` holds `eventsPublishScope`. Answers 202
 * `{"accepted": n}`, or `{error, message}` with 400, 401, 403, 405, 413, 415 or 503.
 */
export function createEventsHandler(manager: WebSocketManager, auth: Authenticator, options: ResolvedRealtimeOptions, logger: Logger): EventsHandler {
  return async (req, res) => {
    try {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HlsaudioError('E_METHOD_NOT_ALLOWED', `${req.method} is not allowed here: POST events`);
      }
      if (manager.isShuttingDown) throw new HlsaudioError('E_UNAVAILABLE', 'the event server is shutting down');
      await auth.authorizePublisher(bearerToken(req));
      const contentType = req.headers['content-type'] ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        throw new HlsaudioError('E_UNSUPPORTED_MEDIA_TYPE', `Expected \`content-type\` to be application/json, got ${quote(contentType)}`, { field: 'content-type' });
      }
      const events = parseEvents(await readBody(req, options.eventsMaxBodyBytes), options);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const userId = url.searchParams.get('user_id');
      const connectionId = url.searchParams.get('connection_id');
      if (userId !== null && connectionId !== null) throw new HlsaudioError('E_MESSAGE', 'give user_id or connection_id, not both', { field: 'connection_id' });
      if (userId !== null) checkId('user_id', userId, 'E_MESSAGE');
      if (connectionId !== null) checkId('connection_id', connectionId, 'E_MESSAGE');
      // Looked up before any is published (a playlist's owner may sit in Redis): a failed lookup publishes none.
      const audiences = userId === null && connectionId === null ? await Promise.all(events.map((event) => manager.audienceOf(event))) : [];
      events.forEach((event, index) => {
        if (userId !== null) manager.sendToUser(userId, event);
        else if (connectionId !== null) manager.sendToConnection(connectionId, event);
        else manager.broadcastEvent(event, audiences[index]);
      });
      sendJson(res, 202, { accepted: events.length });
    } catch (error) {
      sendError(res, error, { logger, layer: 'realtime', internal: new HlsaudioError('E_INTERNAL', 'publishing failed on the server (logged)') });
    }
  };
}

function parseEvents(body: Buffer, options: ResolvedRealtimeOptions): ServerEvent[] {
  let value: unknown;
  try {
    value = parseJson(body.toString('utf8'));
  } catch (cause) {
    throw new HlsaudioError('E_MESSAGE', `the body is not JSON (${(cause as Error).message})`, { cause });
  }
  if (!Array.isArray(value)) return [toEvent(value)];
  if (value.length === 0 || value.length > options.eventsMaxBatch) {
    throw new HlsaudioError('E_MESSAGE', `Expected the body to be an event or an array of 1 to ${options.eventsMaxBatch} events, got ${value.length} events`);
  }
  return value.map((item, index) => toEvent(item, `[${index}].`));
}
