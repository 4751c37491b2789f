import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { type ServerOptions, WebSocketServer } from 'ws';
import { addressKey, clientAddress } from '../client-address.js';
import { HlsaudioError, isHlsaudioError } from '../errors.js';
import { writeFileAtomic } from '../fs.js';
import { idError, isId } from '../ids.js';
import { Authenticator, type Identity } from './auth.js';
import { InProcessBroker } from './broker.js';
import type { QuotaAsk } from './connection-quotas.js';
import type { RealtimeDeps } from './deps.js';
import { createEventsHandler, type EventsHandler } from './events-endpoint.js';
import { httpStatusOf } from '../http/status.js';
import { errorText, stderrLogger } from '../log.js';
import { bearerToken, refuseUpgrade } from './http-reply.js';
import { WebSocketManager, type WebSocketStats } from './manager.js';
import { type RealtimeOptions, resolveRealtimeOptions } from './options.js';
import { playlistLimitsOf, SqlitePlaylistStore } from './playlists.js';
import { InProcessPresence } from './presence.js';

export const STATS_FILE = 'realtime-stats.json';

function ignoreSocketError(): void {}

export interface RealtimeServer {
  manager: WebSocketManager;
  /** 'jwt' when tokens are verified, 'anonymous' when no key is configured. */
  authMode: 'jwt' | 'anonymous';
  /** Where the HTTP router registers `handleEvents` (the `eventsPath` option). */
  eventsPath: string;
  /** `POST /api/events`, for the HTTP router to register. */
  handleEvents: EventsHandler;
  /**
   * For other HTTP routes guarded by a scope, with the event server's keys: in JWT mode resolves
   * true for a bearer token that holds `scope` and rejects with E_AUTH (401) or E_FORBIDDEN (403)
   * otherwise; in anonymous mode, where no token can be verified, resolves false.
   */
  authorize(req: IncomingMessage, scope: string): Promise<boolean>;
  /**
   * The user an HTTP request speaks for, by the event server's rules: in JWT mode the subject of a
   * valid `Authorization: Bearer` token (E_AUTH when it is not valid, or `claimedUserId` differs),
   * nobody without a token; in anonymous mode `claimedUserId`, trusted as given but not verified.
   */
  identify(req: IncomingMessage, claimedUserId: string | undefined): Promise<{ userId: string | null; verified: boolean }>;
  /**
   * Graceful shutdown: refuses new upgrades (503), closes every connection with 1001, waits for them
   * (at most wsShutdownTimeoutMs), closes the playlists database, writes `realtime-stats.json` to the
   * data folder, and stops listening for upgrades. Returns the final stats. The HTTP server stays open.
   */
  close(): Promise<WebSocketStats>;
}

/**
 * Mounts the event server on an HTTP server: takes the `upgrade`s of `wsPath`, authenticates them
 * before upgrading, and serves the spec's protocol. Upgrades of other paths are left to the other
 * `upgrade` listeners; when there is none, nobody would ever answer them, so they get a 404.
 */
export async function attachRealtime(server: Server, deps: RealtimeDeps, options: RealtimeOptions = {}): Promise<RealtimeServer> {
  const resolved = resolveRealtimeOptions(options);
  const logger = deps.logger ?? stderrLogger;
  const now = deps.now ?? Date.now;
  const auth = await Authenticator.create(resolved);
  const playlists = deps.playlists ?? SqlitePlaylistStore.open(deps.dataDir, playlistLimitsOf(resolved), logger);
  const broker = deps.broker ?? new InProcessBroker();
  const presence = deps.presence ?? new InProcessPresence();
  const privateEvents = auth.mode === 'jwt';
  const manager = new WebSocketManager(resolved, { tracks: deps.tracks, sessions: deps.sessions, onPlayback: deps.onPlayback, playlists, broker, presence, privateEvents, logger, now });
  // ws 8 takes `closeTimeout` (lib/websocket-server.js); @types/ws 8.18 does not list it.
  const serverOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    clientTracking: false,
    maxPayload: resolved.wsMaxPayloadBytes,
    closeTimeout: resolved.wsCloseTimeoutMs,
    // Events are small JSON; compressing each one for thousands of clients costs more CPU than it saves.
    perMessageDeflate: false,
  };
  const wss = new WebSocketServer(serverOptions);
  let pending = 0;

  const retryAfter = { 'Retry-After': String(resolved.wsRetryAfterSec) };
  const refuse = (socket: Duplex, error: HlsaudioError, headers: Record<string, string> = {}): void => {
    manager.recordRefusedUpgrade();
    refuseUpgrade(socket, httpStatusOf(error.code) ?? 400, error, headers);
  };
  const quotaError = (ask: QuotaAsk): HlsaudioError =>
    new HlsaudioError(
      'E_QUOTA',
      ask.kind === 'user' ? `user ${ask.id} holds its maximum of ${ask.limit} connections; close one first` : `this address holds its maximum of ${ask.limit} connections without a token; close one first`,
      { retryAfterSec: resolved.wsRetryAfterSec },
    );
  /** The quotas an upgrade must fit: its user's, and its address's when it has no verified token. */
  const quotaAsks = (identity: Identity, address: string): QuotaAsk[] => {
    const asks: QuotaAsk[] = [];
    if (identity.user_id !== null && resolved.wsMaxConnectionsPerUser > 0) asks.push({ kind: 'user', id: identity.user_id, limit: resolved.wsMaxConnectionsPerUser });
    if (!identity.authenticated && resolved.wsMaxConnectionsPerAddress > 0) asks.push({ kind: 'address', id: address, limit: resolved.wsMaxConnectionsPerAddress });
    return asks;
  };
  /** A quota this process's own connections fill (429), or undefined; checked after the token, in the tick that accepts the connection. */
  const quotaRefusal = (asks: readonly QuotaAsk[]): HlsaudioError | undefined => {
    const full = asks.find((ask) => (ask.kind === 'user' ? manager.connectionsOfUser(ask.id) : manager.unverifiedConnectionsFrom(ask.id)) >= ask.limit);
    return full && quotaError(full);
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== resolved.wsPath) {
      if (server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, undefined);
      return;
    }
    // Until ws owns the socket, a client that hangs up must not crash the server.
    socket.on('error', ignoreSocketError);
    if (manager.isShuttingDown) return refuse(socket, new HlsaudioError('E_UNAVAILABLE', 'the event server is shutting down'), retryAfter);
    if (resolved.wsMaxConnections > 0 && manager.size + pending >= resolved.wsMaxConnections) {
      return refuse(socket, new HlsaudioError('E_UNAVAILABLE', `the event server holds its maximum of ${resolved.wsMaxConnections} connections`), retryAfter);
    }
    const query = { user_id: url.searchParams.get('user_id'), session_id: url.searchParams.get('session_id') };
    for (const [field, value] of Object.entries(query)) {
      if (value !== null && !isId(value)) return refuse(socket, idError(field, value, 'E_MESSAGE'));
    }
    pending++;
    let identity;
    try {
      identity = await auth.identify(url.searchParams.get('token') ?? bearerToken(req), query.user_id ?? undefined);
    } catch (error) {
      if (!isHlsaudioError(error)) throw error;
      return refuse(socket, error, error.code === 'E_AUTH' ? { 'WWW-Authenticate': 'Bearer error="invalid_token"' } : {});
    } finally {
      pending--;
    }
    if (socket.destroyed) return;
    if (manager.isShuttingDown) return refuse(socket, new HlsaudioError('E_UNAVAILABLE', 'the event server is shutting down'), retryAfter);
    const ipAddress = clientAddress(req.socket, req.headers, deps.trustProxy);
    const asks = quotaAsks(identity, addressKey(ipAddress));
    const overQuota = quotaRefusal(asks);
    if (overQuota) return refuse(socket, overQuota, retryAfter);
    let release = (): void => {};
    if (deps.quotas && asks.length > 0) {
      // Across the nodes; this process's count above spares Redis a client hammering at its quota.
      pending++;
      const reservation = await deps.quotas.reserve(asks).finally(() => pending--);
      if (!reservation.granted) return refuse(socket, quotaError(reservation.refused), retryAfter);
      release = reservation.release;
      // Meanwhile the client may have gone, the server begun closing, or (Redis unreachable) another
      // upgrade of the same holder been let in on this process's count.
      if (socket.destroyed) return release();
      const late = manager.isShuttingDown ? new HlsaudioError('E_UNAVAILABLE', 'the event server is shutting down') : quotaRefusal(asks);
      if (late) {
        release();
        return refuse(socket, late, retryAfter);
      }
    }
    const client = { userAgent: req.headers['user-agent'] ?? null, referrer: req.headers.origin ?? req.headers.referer ?? null };
    let accepted = false;
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true;
      manager.accept(ws, identity, ipAddress, query.session_id, client);
      ws.once('close', release);
    });
    // ws refused the handshake itself (a bad Sec-WebSocket-Key) and destroyed the socket.
    if (!accepted) release();
  };
  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    onUpgrade(req, socket, head).catch((error: unknown) => {
      logger.error(`realtime: upgrade failed: ${errorText(error)}`);
      socket.destroy();
    });
  };
  server.on('upgrade', upgradeListener);

  const keys = [resolved.jwtSecret ? 'HS256 secret' : '', resolved.jwksFile ? 'JWKS file' : ''].filter(Boolean).join(' and ');
  (deps.announce ?? logger.info)(
    auth.mode === 'jwt'
      ? `realtime: ${resolved.wsPath} verifies JWTs (${keys})${resolved.allowAnonymous ? '; connections without a token are let in as anonymous' : ''}`
      : `realtime: ${resolved.wsPath} runs in anonymous mode: no JWT key configured, user_id is trusted as the client gives it and tokens are ignored, so any client can act as any user and receive every user's events; POST ${resolved.eventsPath} is refused`,
  );

  let closing: Promise<WebSocketStats> | undefined;
  return {
    manager,
    authMode: auth.mode,
    eventsPath: resolved.eventsPath,
    handleEvents: createEventsHandler(manager, auth, resolved, logger),
    authorize: async (req, scope) => {
      if (auth.mode === 'anonymous') return false;
      await auth.authorizeScope(bearerToken(req), scope);
      return true;
    },
    identify: async (req, claimedUserId) => {
      const token = bearerToken(req);
      if (auth.mode === 'anonymous') return { userId: claimedUserId ?? null, verified: false };
      if (token === undefined) return { userId: null, verified: false };
      return { userId: (await auth.identify(token, claimedUserId)).user_id, verified: true };
    },
    close: () =>
      (closing ??= (async () => {
        await manager.close();
        server.off('upgrade', upgradeListener);
        // An injected store belongs to whoever made it.
        if (!deps.playlists) await playlists.close();
        const stats = manager.getStats();
        wss.close();
        // An injected broker belongs to whoever made it.
        if (!deps.broker) await broker.close();
        const statsFile = deps.statsFile ?? STATS_FILE;
        try {
          await writeFileAtomic(join(deps.dataDir, statsFile), `${JSON.stringify({ ...stats, closed_at: new Date(now()).toISOString() }, null, 2)}\n`);
        } catch (error) {
          logger.warn(`realtime: cannot write ${statsFile} (${(error as Error).message})`);
        }
        return stats;
      })()),
  };
}
