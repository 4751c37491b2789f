import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { type RawData, WebSocket } from 'ws';
import { capMessage, HlsaudioError, isHlsaudioError } from '../errors.js';
import { errorText, type Logger } from '../log.js';
import type { QualityChange } from '../streaming/types.js';
import { Tally } from '../tally.js';
import { audienceOf } from './audience.js';
import type { Identity } from './auth.js';
import type { Delivery, RealtimeBroker } from './broker.js';
import { COMMAND_HANDLERS, type CommandContext } from './commands.js';
import { RealtimeConnection } from './connection.js';
import type { PlaybackChange, SessionDirectory, TrackDirectory } from './deps.js';
import { matchesFilters } from './filters.js';
import type { ResolvedRealtimeOptions } from './options.js';
import type { PlaylistStore } from './playlists.js';
import type { Presence } from './presence.js';
import { CLOSE_CODES, type ClientCommand, type CommandResponse, type EventFilters, type EventName, type LiveStats, type RateLimitWarning, type ServerEvent } from './protocol.js';
import { type CommandParse, parseCommand, sniffCommandId } from './validate.js';
import { TextFrame } from './ws-frame.js';

/** get_stats: the spec's five counters, then hlsaudio's own. */
export interface WebSocketStats {
  total_connections: number;
  current_connections: number;
  messages_sent: number;
  messages_received: number;
  events_broadcasted: number;
  /** Upgrades refused: bad token (401), server full or shutting down (503), a quota (429), bad query (400). */
  refused_upgrades: number;
  /** Commands dropped unread, without an answer, because the connection's token bucket was empty. */
  rate_limited_commands: number;
  /** Connections closed with 1008 for dropping more than wsFloodCloseAfterDrops commands within wsFloodWindowMs. */
  flood_disconnects: number;
  slow_consumer_disconnects: number;
  idle_disconnects: number;
  /** Connections terminated because a ping went unanswered for a heartbeat interval. */
  heartbeat_timeouts: number;
}

export interface ManagerParts {
  tracks: TrackDirectory;
  sessions: SessionDirectory | undefined;
  onPlayback?: ((change: PlaybackChange) => void) | undefined;
  playlists: PlaylistStore;
  broker: RealtimeBroker;
  presence: Presence;
  /** JWT mode: broadcasts reach only the users they name (audience.ts) and tokens with eventsReadAllScope. */
  privateEvents: boolean;
  logger: Logger;
  now: () => number;
}

/**
 * The spec's WebSocketManager: the open connections, their subscriptions, delivery and the timers
 * (heartbeat, idle sweep, LiveStats). Delivery rules:
 * - a connection always receives the CommandResponses to its own commands, its RateLimitWarnings and
 *   what is sent to it or to its user directly (send_to_connection, send_to_user);
 * - broadcasts (broadcast_event: the events of commands, POST /api/events, LiveStats) reach only the
 *   connections subscribed to that event name whose filters the event passes, and in JWT mode only
 *   those of the users the event names (audience.ts). A connection that never subscribed receives no
 *   broadcast.
 * Sending never waits: a client that does not read is dropped (4001) once `wsMaxBufferedBytes` wait
 * for it, so one slow reader costs the others nothing.
 */
export class WebSocketManager {
  private readonly connections = new Map<string, RealtimeConnection>();
  private readonly byUser = new Map<string, Set<RealtimeConnection>>();
  private readonly bySession = new Map<string, Set<RealtimeConnection>>();
  private readonly subscribers = new Map<EventName, Set<RealtimeConnection>>();
  /** Connections without a verified token, per remote address (client-address.ts), for wsMaxConnectionsPerAddress. */
  private readonly unverifiedByAddress = new Tally();
  private readonly counters: WebSocketStats = {
    total_connections: 0,
    current_connections: 0,
    messages_sent: 0,
    messages_received: 0,
    events_broadcasted: 0,
    refused_upgrades: 0,
    rate_limited_commands: 0,
    flood_disconnects: 0,
    slow_consumer_disconnects: 0,
    idle_disconnects: 0,
    heartbeat_timeouts: 0,
  };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopListening: (() => void)[] = [];
  private loadMark: EventLoopUtilization = performance.eventLoopUtilization();
  private shuttingDown = false;

  constructor(
    private readonly options: ResolvedRealtimeOptions,
    private readonly parts: ManagerParts,
  ) {
    this.stopListening.push(parts.broker.subscribe((delivery) => this.deliver(delivery)));
    if (parts.sessions) this.stopListening.push(parts.sessions.onQualityChange((change) => this.qualityChanged(change)));
    this.every(options.wsHeartbeatIntervalMs, () => this.heartbeat());
    this.every(options.wsIdleTimeoutMs / 4, () => this.cleanupInactiveConnections(options.wsIdleTimeoutMs));
    this.every(options.liveStatsIntervalMs, () => this.pushLiveStats());
  }

  get size(): number {
    return this.connections.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Open connections of `userId` (wsMaxConnectionsPerUser). */
  connectionsOfUser(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /** Open connections without a verified token from the address whose key is `key` (wsMaxConnectionsPerAddress). */
  unverifiedConnectionsFrom(key: string): number {
    return this.unverifiedByAddress.count(key);
  }

  /** The spec's handle_websocket, after the upgrade: registers the socket and serves its commands. */
  accept(
    socket: WebSocket,
    identity: Identity,
    ipAddress: string,
    sessionId: string | null,
    client: { userAgent: string | null; referrer: string | null } = { userAgent: null, referrer: null },
  ): RealtimeConnection {
    const limits = { ratePerSec: this.options.wsCommandRatePerSec, burst: this.options.wsCommandBurst };
    const readsAll = identity.scopes.includes(this.options.eventsReadAllScope);
    const connection = new RealtimeConnection(socket, identity, ipAddress, sessionId, client, limits, this.parts.now, readsAll);
    this.connections.set(connection.id, connection);
    if (connection.userId !== null) addTo(this.byUser, connection.userId, connection);
    if (!identity.authenticated) this.unverifiedByAddress.add(connection.addressKey);
    if (sessionId !== null) addTo(this.bySession, sessionId, connection);
    if (sessionId !== null) this.parts.sessions?.watch?.(sessionId);
    this.counters.total_connections++;
    socket.on('message', (data, isBinary) => this.receive(connection, data, isBinary));
    socket.on('error', ignore);
    socket.on('close', () => this.forget(connection));
    // An upgrade that completed while close() ran must not outlive it.
    if (this.shuttingDown) connection.close(CLOSE_CODES.goingAway, 'server shutting down');
    if (identity.expires_at_ms !== null) connection.expireAt(identity.expires_at_ms, () => connection.close(CLOSE_CODES.tokenExpired, 'token expired'));
    return connection;
  }

  /**
   * broadcast_event: to every subscribed connection whose filters pass, in every process; in JWT mode
   * only to the users `audience` names (by default those the event names, audience.ts). A
   * PlaylistUpdated names no user: without an audience it reaches nobody in JWT mode; its owner,
   * from the playlist store, is what `audienceOf` (below) gives.
   */
  broadcastEvent(event: ServerEvent, audience: readonly string[] | null = audienceOf(event)): void {
    this.counters.events_broadcasted++;
    this.parts.broker.publish({ to: 'subscribers', event, audience });
  }

  /** The users a broadcast of `event` may reach (audience.ts), the owner of a PlaylistUpdated's playlist looked up in the store. */
  async audienceOf(event: ServerEvent): Promise<readonly string[] | null> {
    if (event.event !== 'PlaylistUpdated') return audienceOf(event);
    const owner = await this.parts.playlists.ownerOf(event.playlist_id);
    return owner === undefined ? [] : [owner];
  }

  /** send_to_connection */
  sendToConnection(connectionId: string, event: ServerEvent): void {
    this.parts.broker.publish({ to: 'connection', connection_id: connectionId, event });
  }

  /** send_to_user: to every connection of the user. */
  sendToUser(userId: string, event: ServerEvent): void {
    this.parts.broker.publish({ to: 'user', user_id: userId, event });
  }

  /** cleanup_inactive_connections: closes (4000) connections that sent nothing for `maxIdleMs`; returns how many. */
  cleanupInactiveConnections(maxIdleMs: number): number {
    let closed = 0;
    for (const connection of this.connections.values()) {
      if (!connection.isClosing && connection.isIdleFor(maxIdleMs)) {
        this.counters.idle_disconnects++;
        connection.close(CLOSE_CODES.idle, `idle for more than ${maxIdleMs} ms`);
        closed++;
      }
    }
    return closed;
  }

  /** get_stats */
  getStats(): WebSocketStats {
    return { ...this.counters, current_connections: this.connections.size };
  }

  recordRefusedUpgrade(): void {
    this.counters.refused_upgrades++;
  }

  /** LiveStats from the presence of the listeners (the connections that play). */
  liveStats(): LiveStats {
    const { concurrent, byTrack } = this.parts.presence.listeners();
    const top_tracks = [...byTrack]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, this.options.liveStatsTopTracks)
      .map(([track_id, current_listeners]) => {
        const track = this.parts.tracks.get(track_id);
        return { track_id, title: track?.title ?? track_id, artist: track?.artist ?? '', current_listeners };
      });
    // Busy share of the event loop since the last figure: what bounds this server, where the load
    // average would count every other process on the machine.
    const mark = performance.eventLoopUtilization();
    const ownLoad = Math.round(performance.eventLoopUtilization(mark, this.loadMark).utilization * 1000) / 1000;
    this.loadMark = mark;
    const server_load = this.parts.presence.serverLoad(ownLoad);
    return { event: 'LiveStats', concurrent_listeners: concurrent, top_tracks, server_load };
  }

  /** Closes every connection with 1001 and waits (at most wsShutdownTimeoutMs) for them to go. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const stop of this.stopListening) stop();
    const open = [...this.connections.values()];
    const gone = Promise.all(open.map((connection) => new Promise<void>((resolve) => {
      if (connection.socket.readyState === WebSocket.CLOSED) resolve();
      else connection.socket.once('close', () => resolve());
    })));
    for (const connection of open) connection.close(CLOSE_CODES.goingAway, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.wsShutdownTimeoutMs)));
    await Promise.race([gone, timeout]);
    clearTimeout(timer);
    for (const connection of this.connections.values()) connection.socket.terminate();
    await gone;
  }

  private receive(connection: RealtimeConnection, data: RawData, isBinary: boolean): void {
    if (connection.isClosing) return;
    this.counters.messages_received++;
    connection.recordActivity();
    const queue = connection.commands;
    // Commands waiting behind one in flight (a playlist command on Redis) are bounded: past the
    // bound, one is dropped as over the rate, so the typed client reads it the same way.
    if (!connection.takeCommand() || queue.size >= this.options.wsMaxQueuedCommands) return this.drop(connection);
    const warning = connection.rateLimitWarning(this.options.wsRateLimitWarnRemaining);
    const message = this.read(data, isBinary);
    // Parsed before it waits, so that what waits is a small command, never a large frame.
    if (queue.busy) queue.run(() => this.answer(connection, warning, message));
    else queue.track(this.answer(connection, warning, message));
  }

  /** A frame as a command, or the error to answer it with. */
  private read(data: RawData, isBinary: boolean): CommandParse {
    if (isBinary) return { ok: false, command_id: '', error: new HlsaudioError('E_MESSAGE', 'binary frames are not accepted: send each command as JSON text') };
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (bytes.length > this.options.wsMaxMessageBytes) {
      const error = new HlsaudioError('E_MESSAGE', `message of ${bytes.length} bytes is larger than the ${this.options.wsMaxMessageBytes}-byte limit; it was not read`);
      return { ok: false, command_id: sniffCommandId(bytes.subarray(0, 1024).toString('utf8')), error };
    }
    return parseCommand(bytes.toString('utf8'));
  }

  /** Sends the rate warning due, then runs the command or answers its error; a promise while an asynchronous command runs. */
  private answer(connection: RealtimeConnection, warning: RateLimitWarning | undefined, message: CommandParse): void | Promise<void> {
    // A command that waited while the connection was being closed (a flood) is not run.
    if (connection.isClosing) return;
    if (warning) this.send(connection, warning);
    if (!message.ok) return this.respondError(connection, message.command_id, message.error);
    return this.execute(connection, message.command);
  }

  /**
   * A command over the rate: dropped unread and unanswered, so that a flood costs a counter and a
   * clock read per message. The first drop of an episode sends `RateLimitWarning` with
   * `remaining_requests: 0` (commands are answered in order, so the typed client knows which of its
   * commands got no answer); a connection that keeps flooding is closed with 1008 and not read
   * any more, so that its frames stop costing even that.
   */
  private drop(connection: RealtimeConnection): void {
    this.counters.rate_limited_commands++;
    const { warning, flooding } = connection.dropped(this.options.wsFloodCloseAfterDrops, this.options.wsFloodWindowMs);
    // In its place among the answers: the typed client takes it for its oldest unanswered command.
    if (warning) connection.commands.run(() => this.send(connection, warning));
    if (!flooding) return;
    this.counters.flood_disconnects++;
    connection.close(CLOSE_CODES.policyViolation, `flooding: more than ${this.options.wsFloodCloseAfterDrops} commands over the rate limit within ${this.options.wsFloodWindowMs} ms`);
    // The close frame still goes out; what the client sends from now on stays in the kernel until
    // ws destroys the socket (wsCloseTimeoutMs), instead of being parsed.
    connection.stopReading();
  }

  /** Runs a command and answers it; a promise while an asynchronous handler (a playlist store's) runs. */
  private execute(connection: RealtimeConnection, command: ClientCommand): void | Promise<void> {
    const handler = COMMAND_HANDLERS[command.command] as (command: ClientCommand, context: CommandContext) => unknown;
    let data: unknown;
    try {
      data = handler(command, this.commandContext(connection));
    } catch (error) {
      return this.failed(connection, command, error);
    }
    if (data instanceof Promise) {
      return data.then(
        (value: unknown) => this.succeeded(connection, command, value),
        (error: unknown) => this.failed(connection, command, error),
      );
    }
    this.succeeded(connection, command, data);
  }

  private succeeded(connection: RealtimeConnection, command: ClientCommand, data: unknown): void {
    this.send(connection, { event: 'CommandResponse', command_id: command.command_id, success: true, data: data ?? null, error: null });
  }

  private failed(connection: RealtimeConnection, command: ClientCommand, error: unknown): void {
    if (isHlsaudioError(error)) return this.respondError(connection, command.command_id, error);
    this.parts.logger.error(`realtime: ${command.command} failed: ${errorText(error)}`);
    this.respondError(connection, command.command_id, new HlsaudioError('E_INTERNAL', `${command.command} failed on the server (logged)`));
  }

  private commandContext(connection: RealtimeConnection): CommandContext {
    return {
      connection,
      tracks: this.parts.tracks,
      sessions: this.parts.sessions,
      playlists: this.parts.playlists,
      publish: (event, audience) => this.broadcastEvent(event, audience),
      subscribe: (target, events, filters) => this.subscribe(target, events, filters),
      unsubscribe: (target, events) => this.unsubscribe(target, events),
      stats: () => ({ ...this.getStats() }),
      now: this.parts.now,
      observe: (change) => this.observe(connection, change),
    };
  }

  /** Tells the presence and the playback observer; the observer's failure is logged, never the command's. */
  private observe(connection: RealtimeConnection, change: Omit<PlaybackChange, 'connection'>): void {
    if (change.kind === 'started' || change.kind === 'resumed') this.parts.presence.set(connection.id, change.trackId);
    else if (change.kind === 'paused' || change.kind === 'stopped') this.parts.presence.set(connection.id, undefined);
    if (!this.parts.onPlayback) return;
    try {
      this.parts.onPlayback({ ...change, connection: connection.listener });
    } catch (error) {
      this.parts.logger.error(`realtime: playback observer failed: ${errorText(error)}`);
    }
  }

  private respondError(connection: RealtimeConnection, commandId: string, error: HlsaudioError): void {
    const response: CommandResponse = {
      event: 'CommandResponse',
      command_id: commandId,
      success: false,
      data: { code: error.code, field: error.field ?? null },
      error: capMessage(error.message),
    };
    this.send(connection, response);
  }

  private subscribe(connection: RealtimeConnection, events: EventName[], filters: EventFilters | null): void {
    for (const name of events) {
      connection.subscribe(name, filters);
      addTo(this.subscribers, name, connection);
    }
  }

  private unsubscribe(connection: RealtimeConnection, events: EventName[]): void {
    for (const name of events) {
      connection.unsubscribe(name);
      removeFrom(this.subscribers, name, connection);
    }
  }

  private deliver(delivery: Delivery): void {
    switch (delivery.to) {
      case 'subscribers': {
        const { event, audience } = delivery;
        const targets = this.subscribers.get(event.event);
        if (!targets) return;
        const restricted = this.parts.privateEvents && audience !== null;
        // Serialised and framed once, sent as the same bytes to every target.
        let data: TextFrame | undefined;
        for (const connection of targets) {
          if (restricted && !connection.readsAll && (connection.userId === null || !audience.includes(connection.userId))) continue;
          if (!matchesFilters(event, connection.filtersFor(event.event) ?? null)) continue;
          data ??= new TextFrame(JSON.stringify(event));
          this.sendData(connection, data);
        }
        return;
      }
      case 'user':
        return this.sendEach(this.byUser.get(delivery.user_id), delivery.event);
      case 'connection': {
        const connection = this.connections.get(delivery.connection_id);
        if (connection) this.send(connection, delivery.event);
        return;
      }
      case 'session': {
        const targets = new Set(this.bySession.get(delivery.session_id));
        // Connections that named no session hear about their user's sessions.
        for (const connection of (delivery.user_id !== null && this.byUser.get(delivery.user_id)) || []) {
          if (connection.sessionId === null) targets.add(connection);
        }
        for (const connection of targets) {
          if (delivery.user_id === null || connection.userId === delivery.user_id) this.send(connection, delivery.event);
        }
        return;
      }
      case 'all':
        return this.sendEach(this.connections.values(), delivery.event);
      case 'rebuffers':
        return; // for the analytics, not for sockets
    }
  }

  private qualityChanged(change: QualityChange): void {
    this.parts.broker.publish({ to: 'session', session_id: change.session_id, user_id: change.user_id, event: { event: 'QualityChanged', ...change } });
  }

  private sendEach(targets: Iterable<RealtimeConnection> | undefined, event: ServerEvent): void {
    if (!targets) return;
    const data = new TextFrame(JSON.stringify(event));
    for (const connection of targets) this.sendData(connection, data);
  }

  private send(connection: RealtimeConnection, event: ServerEvent): void {
    this.sendData(connection, new TextFrame(JSON.stringify(event)));
  }

  private sendData(connection: RealtimeConnection, data: TextFrame): void {
    const queued = connection.socket.bufferedAmount;
    const outcome = connection.send(data, this.options.wsMaxBufferedBytes);
    if (outcome === 'sent') {
      this.counters.messages_sent++;
    } else if (outcome === 'slow-consumer') {
      this.counters.slow_consumer_disconnects++;
      connection.close(CLOSE_CODES.slowConsumer, `slow consumer: ${queued} bytes unread`);
    }
  }

  private heartbeat(): void {
    for (const connection of this.connections.values()) {
      if (!connection.heartbeat()) this.counters.heartbeat_timeouts++;
    }
  }

  private pushLiveStats(): void {
    if (this.subscribers.get('LiveStats')?.size) this.broadcastEvent(this.liveStats());
  }

  private forget(connection: RealtimeConnection): void {
    if (!this.connections.delete(connection.id)) return;
    connection.commands.clear();
    this.parts.presence.set(connection.id, undefined);
    connection.dispose();
    if (connection.userId !== null) removeFrom(this.byUser, connection.userId, connection);
    if (!connection.identity.authenticated) this.unverifiedByAddress.remove(connection.addressKey);
    if (connection.sessionId !== null) removeFrom(this.bySession, connection.sessionId, connection);
    for (const name of connection.subscribedEvents()) removeFrom(this.subscribers, name, connection);
    const trackId = connection.playback.trackId;
    if (trackId === undefined || connection.userId === null) return;
    // A listener who leaves stops listening: subscribers learn it as they would from Stop, and so do
    // the analytics, even when the server is shutting down.
    const positionMs = connection.playback.snapshot()?.position_ms ?? 0;
    const total_played_ms = connection.playback.stop(trackId);
    this.observe(connection, { kind: 'stopped', trackId, positionMs });
    if (!this.shuttingDown) this.broadcastEvent({ event: 'PlaybackStopped', track_id: trackId, user_id: connection.userId, total_played_ms });
  }

  private every(intervalMs: number, tick: () => void): void {
    if (intervalMs <= 0) return;
    const timer = setInterval(tick, Math.max(10, intervalMs));
    timer.unref();
    this.timers.push(timer);
  }
}

/** ws reports protocol errors (a frame over maxPayload, bad UTF-8) as 'error' and closes the socket itself. */
function ignore(): void {}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set?.delete(value) && set.size === 0) index.delete(key);
}
