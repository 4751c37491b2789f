import { fieldError as expectedField, HlsaudioError } from '../errors.js';
import {
  type ClientCommand,
  COMMAND_NAMES,
  type CommandName,
  type CommandOf,
  type EventOf,
  isCommandName,
  isSpecEventName,
  MESSAGE_LEVELS,
  PLAYLIST_ACTIONS,
  SPEC_EVENT_NAMES,
  type SpecEvent,
  type SpecEventName,
} from './protocol.js';

/**
 * Validation of what arrives on the wire: commands on `/api/ws` and events on `POST /api/events`.
 * One table per union lists the type of every field; the mapped types below make the compiler refuse
 * a table that misses or invents a field of protocol.ts. Errors name the field the way option errors
 * do (`Expected \`track_id\` to be …, got …`). Fields the spec does not know are ignored, as serde does.
 */

type FieldType =
  | 'id' // a non-empty string of at most `maxIdLength` characters
  | 'text' // any string
  | 'ms' // milliseconds: a finite number >= 0, rounded (the spec's React client sends `currentTime * 1000`)
  | 'uint' // an integer >= 0 (u32, u64, usize)
  | 'number' // a finite number (f32)
  | 'bool'
  | 'ids' // an array of ids
  | 'eventNames' // a non-empty array of the 14 event names
  | 'filters' // an object whose values are ids
  | 'action' // PlaylistAction
  | 'level' // MessageLevel
  | 'topTracks' // LiveTrackStats[]
  | 'any'; // serde_json::Value
/** `optional` fields may be absent or null, and come out as null (serde's `Option`). */
type FieldSpec = FieldType | { optional: FieldType };

type Schema<T, Tag extends string> = { [K in Exclude<keyof T, Tag>]-?: FieldSpec };

const COMMAND_SCHEMAS: { [K in CommandName]: Schema<CommandOf<K>, 'command'> } = {
  Play: { command_id: 'id', track_id: 'id', start_position_ms: { optional: 'ms' } },
  Pause: { command_id: 'id', track_id: 'id' },
  Stop: { command_id: 'id', track_id: 'id' },
  Seek: { command_id: 'id', track_id: 'id', position_ms: 'ms' },
  AddToPlaylist: { command_id: 'id', playlist_id: 'id', track_id: 'id', position: { optional: 'uint' } },
  RemoveFromPlaylist: { command_id: 'id', playlist_id: 'id', track_id: 'id' },
  Subscribe: { command_id: 'id', events: 'eventNames', filters: { optional: 'filters' } },
  Unsubscribe: { command_id: 'id', events: 'eventNames' },
  GetStatus: { command_id: 'id' },
  Ping: { command_id: 'id' },
};

const EVENT_SCHEMAS: { [K in SpecEventName]: Schema<EventOf<K>, 'event'> } = {
  PlaybackStarted: { track_id: 'id', user_id: 'id', timestamp: 'uint' },
  PlaybackPaused: { track_id: 'id', user_id: 'id', position_ms: 'ms' },
  PlaybackResumed: { track_id: 'id', user_id: 'id', position_ms: 'ms' },
  PlaybackStopped: { track_id: 'id', user_id: 'id', total_played_ms: 'ms' },
  PlaybackProgress: { track_id: 'id', user_id: 'id', position_ms: 'ms', buffer_percentage: 'number' },
  PlaylistUpdated: { playlist_id: 'id', action: 'action', track_id: { optional: 'id' }, position: { optional: 'uint' } },
  PlaylistShared: { playlist_id: 'id', from_user: 'id', to_users: 'ids' },
  TrackLiked: { track_id: 'id', user_id: 'id', total_likes: 'uint' },
  TrackShared: { track_id: 'id', from_user: 'id', to_users: 'ids', message: { optional: 'text' } },
  UserFollowed: { follower_id: 'id', followed_id: 'id' },
  ServerMessage: { message: 'text', level: 'level' },
  RateLimitWarning: { remaining_requests: 'uint', reset_time_seconds: 'uint' },
  CommandResponse: { command_id: 'text', success: 'bool', data: { optional: 'any' }, error: { optional: 'text' } },
  LiveStats: { concurrent_listeners: 'uint', top_tracks: 'topTracks', server_load: 'number' },
};

export type CommandParse = { ok: true; command: ClientCommand } | { ok: false; command_id: string; error: HlsaudioError };

/** Parses one text frame into a command, or says which field is wrong (and the command_id, when there is one). */
export function parseCommand(text: string, maxIdLength: number): CommandParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return failure('', new HlsaudioError('E_MESSAGE', `message is not JSON (${(cause as Error).message}); send one JSON object per text frame`, { cause }));
  }
  const commandId = isRecord(value) && typeof value.command_id === 'string' && value.command_id.length <= maxIdLength ? value.command_id : '';
  try {
    return { ok: true, command: toCommand(value, maxIdLength) };
  } catch (error) {
    return failure(commandId, error as HlsaudioError);
  }
}

function failure(commandId: string, error: HlsaudioError): CommandParse {
  return { ok: false, command_id: commandId, error };
}

function toCommand(value: unknown, maxIdLength: number): ClientCommand {
  if (!isRecord(value)) throw fieldError('message', 'a JSON object with a `command` field', value);
  const name = value.command;
  if (!isCommandName(name)) throw fieldError('command', `one of ${COMMAND_NAMES.join(', ')}`, name);
  return { command: name, ...readFields(value, COMMAND_SCHEMAS[name], maxIdLength) } as ClientCommand;
}

/** Validates one published event (`POST /api/events`: one of the spec's 14) and returns it with the spec's fields only, `Option`s as null. */
export function toEvent(value: unknown, maxIdLength: number, where = ''): SpecEvent {
  if (!isRecord(value)) throw fieldError(where || 'event', 'a JSON object with an `event` field', value);
  const name = value.event;
  if (!isSpecEventName(name)) throw fieldError(`${where}event`, `one of ${SPEC_EVENT_NAMES.join(', ')}`, name);
  return { event: name, ...readFields(value, EVENT_SCHEMAS[name], maxIdLength, where) } as SpecEvent;
}

/** Used where a message is too large to parse: its command_id, if it shows in the first kilobyte. */
export function sniffCommandId(text: string, maxIdLength: number): string {
  const match = /"command_id"\s*:\s*"([^"\\]*)"/.exec(text.slice(0, 1024));
  return match && match[1]!.length <= maxIdLength ? match[1]! : '';
}

function readFields(source: Record<string, unknown>, schema: Record<string, FieldSpec>, maxIdLength: number, where = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema)) {
    const value = source[field];
    const path = `${where}${field}`;
    if (typeof spec === 'object') {
      out[field] = value === undefined || value === null ? null : readValue(value, spec.optional, path, maxIdLength);
    } else {
      out[field] = readValue(value, spec, path, maxIdLength);
    }
  }
  return out;
}

function readValue(value: unknown, type: FieldType, path: string, maxIdLength: number): unknown {
  switch (type) {
    case 'id':
      if (typeof value === 'string' && value.length > 0 && value.length <= maxIdLength) return value;
      throw fieldError(path, `a non-empty string of at most ${maxIdLength} characters`, value);
    case 'text':
      if (typeof value === 'string') return value;
      throw fieldError(path, 'a string', value);
    case 'ms':
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) return Math.round(value);
      throw fieldError(path, 'a number of milliseconds >= 0', value);
    case 'uint':
      if (Number.isSafeInteger(value) && (value as number) >= 0) return value;
      throw fieldError(path, 'an integer >= 0', value);
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw fieldError(path, 'a number', value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw fieldError(path, 'a boolean', value);
    case 'ids':
      if (!Array.isArray(value)) throw fieldError(path, 'an array of strings', value);
      return value.map((item, index) => readValue(item, 'id', `${path}[${index}]`, maxIdLength));
    case 'eventNames':
      if (!Array.isArray(value) || value.length === 0) throw fieldError(path, 'a non-empty array of event names', value);
      return value.map((item, index) => {
        if (isSpecEventName(item)) return item;
        throw fieldError(`${path}[${index}]`, `one of ${SPEC_EVENT_NAMES.join(', ')}`, item);
      });
    case 'filters':
      if (!isRecord(value)) throw fieldError(path, 'an object of strings', value);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, readValue(item, 'id', `${path}.${key}`, maxIdLength)]));
    case 'action':
      if ((PLAYLIST_ACTIONS as readonly unknown[]).includes(value)) return value;
      throw fieldError(path, `one of ${PLAYLIST_ACTIONS.join(', ')}`, value);
    case 'level':
      if ((MESSAGE_LEVELS as readonly unknown[]).includes(value)) return value;
      throw fieldError(path, `one of ${MESSAGE_LEVELS.join(', ')}`, value);
    case 'topTracks':
      if (!Array.isArray(value)) throw fieldError(path, 'an array of LiveTrackStats', value);
      return value.map((item, index) => {
        const at = `${path}[${index}]`;
        if (!isRecord(item)) throw fieldError(at, 'an object', item);
        return readFields(item, { track_id: 'id', title: 'text', artist: 'text', current_listeners: 'uint' }, maxIdLength, `${at}.`);
      });
    case 'any':
      return value;
  }
}

/** A field of a WebSocket message: E_MESSAGE, the wording of every other field error. */
function fieldError(field: string, expected: string, got: unknown): HlsaudioError {
  return expectedField(field, expected, got, 'E_MESSAGE');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
