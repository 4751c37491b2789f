import type { IncomingMessage, ServerResponse } from 'node:http';
import { HlsaudioError, isHlsaudioError, quote } from '../errors.js';
import { checkId } from '../ids.js';
import { parseJson } from '../json.js';
import type { Authenticator } from './auth.js';
import { bearerToken, HTTP_STATUS, replyJson } from './http-reply.js';
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
export function createEventsHandler(manager: WebSocketManager, auth: Authenticator, options: ResolvedRealtimeOptions, log: (line: string) => void): EventsHandler {
  return async (req, res) => {
    try {
      if (req.method !== 'POST') return replyJson(res, 405, { error: 'E_MESSAGE', message: `${req.method} is not allowed here: POST events` }, { Allow: 'POST' });
      if (manager.isShuttingDown) throw new HlsaudioError('E_UNAVAILABLE', 'the event server is shutting down');
      await auth.authorizePublisher(bearerToken(req));
      const contentType = req.headers['content-type'] ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return replyJson(res, 415, { error: 'E_MESSAGE', message: `Expected \`content-type\` to be application/json, got ${quote(contentType)}` });
      }
      const body = await readBody(req, options.eventsMaxBodyBytes);
      if (body === undefined) {
        res.setHeader('Connection', 'close');
        return replyJson(res, 413, { error: 'E_MESSAGE', message: `the body is larger than the ${options.eventsMaxBodyBytes}-byte limit` });
      }
      const events = parseEvents(body, options);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const userId = url.searchParams.get('user_id');
      const connectionId = url.searchParams.get('connection_id');
      if (userId !== null && connectionId !== null) throw new HlsaudioError('E_MESSAGE', 'give user_id or connection_id, not both', { field: 'connection_id' });
      if (userId !== null) checkId('user_id', userId, 'E_MESSAGE');
      if (connectionId !== null) checkId('connection_id', connectionId, 'E_MESSAGE');
      for (const event of events) {
        if (userId !== null) manager.sendToUser(userId, event);
        else if (connectionId !== null) manager.sendToConnection(connectionId, event);
        else manager.broadcastEvent(event);
      }
      replyJson(res, 202, { accepted: events.length });
    } catch (caught) {
      let error = caught;
      if (!isHlsaudioError(error)) {
        log(`hlsaudio realtime: POST ${req.url} failed: ${(caught as Error)?.stack ?? String(caught)}`);
        error = new HlsaudioError('E_INTERNAL', 'publishing failed on the server (logged)');
      }
      if (res.headersSent) return void res.destroy();
      const { code, message } = error as HlsaudioError;
      const status = HTTP_STATUS[code] ?? 500;
      replyJson(res, status, { error: code, message }, status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
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

/** The body, or undefined once it passes `limit` bytes (the rest is read and dropped, so the reply can be sent). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
