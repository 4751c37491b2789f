import { HlsaudioError, quote } from '../errors.js';
import type { RealtimeConnection } from './connection.js';
import type { PlaybackChange, SessionDirectory, TrackDirectory, TrackSummary } from './deps.js';
import { checkFilters } from './filters.js';
import type { PlaylistStore } from './playlists.js';
import type { CommandName, CommandOf, EventFilters, EventName, ServerEvent } from './protocol.js';

/**
 * What each of the 10 commands does. A handler publishes its events, then returns the
 * CommandResponse's `data`, or throws an HlsaudioError that becomes `success: false`. So when a client
 * sees the response, the command's events have been delivered before it. The playlist commands
 * return a promise (the store may be Redis); the manager runs a connection's commands in order.
 */
export interface CommandContext {
  connection: RealtimeConnection;
  tracks: TrackDirectory;
  sessions: SessionDirectory | undefined;
  playlists: PlaylistStore;
  /** broadcast_event; `audience` overrides the users the event reaches in JWT mode (audience.ts). */
  publish(event: ServerEvent, audience?: readonly string[]): void;
  subscribe(connection: RealtimeConnection, events: EventName[], filters: EventFilters | null): void;
  unsubscribe(connection: RealtimeConnection, events: EventName[]): void;
  stats(): Record<string, number>;
  now(): number;
  /** Tells the playback observer (listening analytics) of a change this command made. */
  observe(change: Omit<PlaybackChange, 'connection'>): void;
}

type Handler<K extends CommandName> = (command: CommandOf<K>, context: CommandContext) => unknown;

export const COMMAND_HANDLERS: { [K in CommandName]: Handler<K> } = {
  Play(command, context) {
    const user = requireUser(context.connection, command.command);
    const track = requireTrack(context.tracks, command.track_id);
    const { playback, sessionId } = context.connection;
    const quality = context.sessions?.qualityFor(command.track_id, sessionId ?? undefined) ?? track.default_quality ?? null;
    const data = { track_duration_ms: track.duration_ms, quality };
    const start = command.start_position_ms ?? null;
    if (playback.trackId === command.track_id) {
      const position_ms = playback.resume(command.track_id, start);
      context.observe({ kind: 'resumed', trackId: command.track_id, positionMs: position_ms });
      context.publish({ event: 'PlaybackResumed', track_id: command.track_id, user_id: user, position_ms });
      return data;
    }
    if (start !== null && start > track.duration_ms) {
      throw new HlsaudioError('E_PLAYBACK', `start_position_ms ${start} is past the end of track ${command.track_id} (${track.duration_ms} ms)`, { field: 'start_position_ms' });
    }
    const previous = playback.trackId;
    if (previous !== undefined) {
      const positionMs = playback.snapshot()?.position_ms ?? 0;
      const total_played_ms = playback.stop(previous);
      context.observe({ kind: 'stopped', trackId: previous, positionMs });
      context.publish({ event: 'PlaybackStopped', track_id: previous, user_id: user, total_played_ms });
    }
    playback.start(command.track_id, track.duration_ms, start ?? 0);
    context.observe({ kind: 'started', trackId: command.track_id, positionMs: start ?? 0, durationMs: track.duration_ms, quality });
    context.publish({ event: 'PlaybackStarted', track_id: command.track_id, user_id: user, timestamp: Math.floor(context.now() / 1000) });
    return data;
  },

  Pause(command, context) {
    const user = requireUser(context.connection, command.command);
    const position_ms = context.connection.playback.pause(command.track_id);
    context.observe({ kind: 'paused', trackId: command.track_id, positionMs: position_ms });
    context.publish({ event: 'PlaybackPaused', track_id: command.track_id, user_id: user, position_ms });
    return { position_ms };
  },

  Stop(command, context) {
    const user = requireUser(context.connection, command.command);
    const { playback } = context.connection;
    const positionMs = playback.trackId === command.track_id ? (playback.snapshot()?.position_ms ?? 0) : 0;
    const total_played_ms = playback.stop(command.track_id);
    context.observe({ kind: 'stopped', trackId: command.track_id, positionMs });
    context.publish({ event: 'PlaybackStopped', track_id: command.track_id, user_id: user, total_played_ms });
    return { total_played_ms };
  },

  Seek(command, context) {
    const user = requireUser(context.connection, command.command);
    const { playback, sessionId } = context.connection;
    playback.seek(command.track_id, command.position_ms);
    context.observe({ kind: 'progress', trackId: command.track_id, positionMs: command.position_ms });
    // A seek starts a new buffer; without a session's report the honest figure is an empty one.
    const buffer_percentage = context.sessions?.bufferPercentageFor?.(command.track_id, sessionId ?? undefined) ?? 0;
    context.publish({ event: 'PlaybackProgress', track_id: command.track_id, user_id: user, position_ms: command.position_ms, buffer_percentage });
    return { position_ms: command.position_ms, state: playback.snapshot()?.state };
  },

  async AddToPlaylist(command, context) {
    const user = requireUser(context.connection, command.command);
    requireTrack(context.tracks, command.track_id);
    const { identity, addressKey } = context.connection;
    const change = await context.playlists.add(command.playlist_id, command.track_id, command.position ?? null, { userId: user, address: identity.authenticated ? null : addressKey });
    // Only the owner changes a playlist: its events go to the owner.
    context.publish({ event: 'PlaylistUpdated', playlist_id: command.playlist_id, action: change.action, track_id: command.track_id, position: change.position }, [user]);
    return { playlist_id: command.playlist_id, ...change };
  },

  async RemoveFromPlaylist(command, context) {
    const user = requireUser(context.connection, command.command);
    const change = await context.playlists.remove(command.playlist_id, command.track_id, user);
    // The playlist may be gone (its last track removed): its owner is named here, not looked up.
    context.publish({ event: 'PlaylistUpdated', playlist_id: command.playlist_id, action: change.action, track_id: command.track_id, position: change.position }, [user]);
    return { playlist_id: command.playlist_id, ...change };
  },

  Subscribe(command, context) {
    const filters = command.filters && Object.keys(command.filters).length > 0 ? command.filters : null;
    if (filters) checkFilters(command.events, filters);
    context.subscribe(context.connection, command.events, filters);
    return { subscriptions: context.connection.subscriptionsJson() };
  },

  Unsubscribe(command, context) {
    context.unsubscribe(context.connection, command.events);
    return { subscriptions: context.connection.subscriptionsJson() };
  },

  GetStatus(_command, context) {
    return { connection: context.connection.describe(), subscriptions: context.connection.subscriptionsJson(), server: context.stats() };
  },

  Ping(_command, context) {
    return { pong: true, server_time_ms: context.now() };
  },
};

/** Playback and playlist events name a user, so those commands need one. */
function requireUser(connection: RealtimeConnection, command: CommandName): string {
  if (connection.userId === null) {
    throw new HlsaudioError('E_FORBIDDEN', `${command} needs a user: connect with ?user_id= (or a token whose subject names one)`, { field: 'user_id' });
  }
  return connection.userId;
}

function requireTrack(tracks: TrackDirectory, trackId: string): TrackSummary {
  const track = tracks.get(trackId);
  if (!track) throw new HlsaudioError('E_UNKNOWN_TRACK', `unknown track_id ${quote(trackId)}: the catalog has no such track`, { field: 'track_id' });
  return track;
}
