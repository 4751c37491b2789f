/**
 * The wire protocol of `/api/ws`, as the spec's "Types et Structures" declares it: every command a
 * client sends and every event the server sends, as discriminated unions. serde's internally tagged
 * form: the tag (`command` or `event`) sits beside the variant's fields, names and fields are the
 * spec's, snake_case, and an absent `Option` travels as `null`.
 *
 * Everything else (validation, server, typed client) imports this module. It has no Node imports: the
 * browser client uses it too (the streaming types it names are type-only imports, erased by tsc).
 */
import type { QualityChange } from '../streaming/types.js';

export type PlaylistAction = 'Added' | 'Removed' | 'Reordered' | 'Cleared';
export const PLAYLIST_ACTIONS: readonly PlaylistAction[] = ['Added', 'Removed', 'Reordered', 'Cleared'];

export type MessageLevel = 'Info' | 'Warning' | 'Error';
export const MESSAGE_LEVELS: readonly MessageLevel[] = ['Info', 'Warning', 'Error'];

export interface LiveTrackStats {
  track_id: string;
  title: string;
  artist: string;
  current_listeners: number;
}

/** Filters of a subscription: the spec's `HashMap<String, String>`. */
export type EventFilters = Record<string, string>;

// Events (server -> client)

export interface PlaybackStarted {
  event: 'PlaybackStarted';
  track_id: string;
  user_id: string;
  /** Unix time in seconds. */
  timestamp: number;
}
export interface PlaybackPaused {
  event: 'PlaybackPaused';
  track_id: string;
  user_id: string;
  position_ms: number;
}
export interface PlaybackResumed {
  event: 'PlaybackResumed';
  track_id: string;
  user_id: string;
  position_ms: number;
}
export interface PlaybackStopped {
  event: 'PlaybackStopped';
  track_id: string;
  user_id: string;
  total_played_ms: number;
}
export interface PlaybackProgress {
  event: 'PlaybackProgress';
  track_id: string;
  user_id: string;
  position_ms: number;
  buffer_percentage: number;
}
export interface PlaylistUpdated {
  event: 'PlaylistUpdated';
  playlist_id: string;
  action: PlaylistAction;
  track_id: string | null;
  position: number | null;
}
export interface PlaylistShared {
  event: 'PlaylistShared';
  playlist_id: string;
  from_user: string;
  to_users: string[];
}
export interface TrackLiked {
  event: 'TrackLiked';
  track_id: string;
  user_id: string;
  total_likes: number;
}
export interface TrackShared {
  event: 'TrackShared';
  track_id: string;
  from_user: string;
  to_users: string[];
  message: string | null;
}
export interface UserFollowed {
  event: 'UserFollowed';
  follower_id: string;
  followed_id: string;
}
export interface ServerMessage {
  event: 'ServerMessage';
  message: string;
  level: MessageLevel;
}
export interface RateLimitWarning {
  event: 'RateLimitWarning';
  remaining_requests: number;
  reset_time_seconds: number;
}
export interface CommandResponse {
  event: 'CommandResponse';
  command_id: string;
  success: boolean;
  /** On failure, hlsaudio puts `{code, field}` here (codes listed in the README); `error` is the message. */
  data: unknown;
  error: string | null;
}
export interface LiveStats {
  event: 'LiveStats';
  concurrent_listeners: number;
  top_tracks: LiveTrackStats[];
  server_load: number;
}

/**
 * hlsaudio's extension beside the spec's 14 events: a streaming session's `current_quality` changed
 * (the quality monitor's decision, or the client's own report, told by `reason`). Sent by the server
 * only, to the connections that named the session and to its user's connections that named none;
 * never broadcast, so neither Subscribe nor `POST /api/events` takes it.
 */
export interface QualityChanged extends QualityChange {
  event: 'QualityChanged';
}

/**
 * hlsaudio's second extension: events this connection may have missed. With several `serve` nodes
 * sharing events through Redis, a node that cannot read part of the shared stream tells every one
 * of its connections, subscribed or not, rather than losing events silently (events-gap.ts). Sent
 * by the server only; neither Subscribe nor `POST /api/events` takes it.
 */
export interface EventsGap {
  event: 'EventsGap';
  /** How many events were missed, or null when nobody can know (Redis lost its data). */
  missed: number | null;
  /**
   * `trimmed`: this node fell further behind than the stream keeps; `reset`: Redis restarted without
   * its data; `dropped`: another node could not reach Redis for longer than its buffer holds;
   * `failover`: another Redis server answers now (a Sentinel failover, or a restart that kept the
   * stream), and what the old one acknowledged without passing it on is gone unseen.
   */
  reason: 'trimmed' | 'reset' | 'dropped' | 'failover';
}

/** The spec's 14 events. */
export type SpecEvent =
  | PlaybackStarted
  | PlaybackPaused
  | PlaybackResumed
  | PlaybackStopped
  | PlaybackProgress
  | PlaylistUpdated
  | PlaylistShared
  | TrackLiked
  | TrackShared
  | UserFollowed
  | ServerMessage
  | RateLimitWarning
  | CommandResponse
  | LiveStats;

export type ServerEvent = SpecEvent | QualityChanged | EventsGap;

export type EventName = ServerEvent['event'];
export type SpecEventName = SpecEvent['event'];
export type EventOf<K extends EventName> = Extract<ServerEvent, { event: K }>;

/** Every event name, where it comes from: the compiler refuses this table when a name is missing or unknown. */
const EVENT_ORIGINS: Record<EventName, 'spec' | 'hlsaudio'> = {
  PlaybackStarted: 'spec',
  PlaybackPaused: 'spec',
  PlaybackResumed: 'spec',
  PlaybackStopped: 'spec',
  PlaybackProgress: 'spec',
  PlaylistUpdated: 'spec',
  PlaylistShared: 'spec',
  TrackLiked: 'spec',
  TrackShared: 'spec',
  UserFollowed: 'spec',
  ServerMessage: 'spec',
  RateLimitWarning: 'spec',
  CommandResponse: 'spec',
  LiveStats: 'spec',
  QualityChanged: 'hlsaudio',
  EventsGap: 'hlsaudio',
};

/** The 16 event names: the spec's 14 in its order, then hlsaudio's QualityChanged and EventsGap. */
export const EVENT_NAMES = Object.keys(EVENT_ORIGINS) as readonly EventName[];
/** The spec's 14: what Subscribe and `POST /api/events` take. */
export const SPEC_EVENT_NAMES = EVENT_NAMES.filter((name): name is SpecEventName => EVENT_ORIGINS[name] === 'spec');

// Commands (client -> server)

export interface PlayCommand {
  command: 'Play';
  command_id: string;
  track_id: string;
  start_position_ms?: number | null;
}
export interface PauseCommand {
  command: 'Pause';
  command_id: string;
  track_id: string;
}
export interface StopCommand {
  command: 'Stop';
  command_id: string;
  track_id: string;
}
export interface SeekCommand {
  command: 'Seek';
  command_id: string;
  track_id: string;
  position_ms: number;
}
export interface AddToPlaylistCommand {
  command: 'AddToPlaylist';
  command_id: string;
  playlist_id: string;
  track_id: string;
  position?: number | null;
}
export interface RemoveFromPlaylistCommand {
  command: 'RemoveFromPlaylist';
  command_id: string;
  playlist_id: string;
  track_id: string;
}
export interface SubscribeCommand {
  command: 'Subscribe';
  command_id: string;
  events: SpecEventName[];
  filters?: EventFilters | null;
}
export interface UnsubscribeCommand {
  command: 'Unsubscribe';
  command_id: string;
  events: SpecEventName[];
}
export interface GetStatusCommand {
  command: 'GetStatus';
  command_id: string;
}
export interface PingCommand {
  command: 'Ping';
  command_id: string;
}

export type ClientCommand =
  | PlayCommand
  | PauseCommand
  | StopCommand
  | SeekCommand
  | AddToPlaylistCommand
  | RemoveFromPlaylistCommand
  | SubscribeCommand
  | UnsubscribeCommand
  | GetStatusCommand
  | PingCommand;

export type CommandName = ClientCommand['command'];
export type CommandOf<K extends CommandName> = Extract<ClientCommand, { command: K }>;

/** The 10 command names in the spec's order; the compiler refuses this table when one is missing or unknown. */
const COMMANDS: Record<CommandName, true> = {
  Play: true,
  Pause: true,
  Stop: true,
  Seek: true,
  AddToPlaylist: true,
  RemoveFromPlaylist: true,
  Subscribe: true,
  Unsubscribe: true,
  GetStatus: true,
  Ping: true,
};
export const COMMAND_NAMES = Object.keys(COMMANDS) as readonly CommandName[];

/**
 * Close codes the server sends: the standard 1001 (server shutting down), 1008 (flooding) and 1009
 * (a frame over `wsMaxPayloadBytes`, closed by ws), and hlsaudio's own 4000 to 4003. A connection whose pong is missing is
 * terminated without a close frame: the client sees 1006.
 */
export const CLOSE_CODES = {
  goingAway: 1001,
  /** Policy violation (RFC 6455): the client kept sending commands over the rate limit (`wsFloodCloseAfterDrops`). */
  policyViolation: 1008,
  messageTooBig: 1009,
  /** No message from the client for `wsIdleTimeoutMs`. */
  idle: 4000,
  /** The client did not read: more than `wsMaxBufferedBytes` were waiting for it. */
  slowConsumer: 4001,
  /** The connection's token expired (its `exp` passed): reconnect with a fresh token. */
  tokenExpired: 4003,
} as const;

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(EVENT_ORIGINS, value);
}

export function isSpecEventName(value: unknown): value is SpecEventName {
  return isEventName(value) && EVENT_ORIGINS[value] === 'spec';
}

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(COMMANDS, value);
}
