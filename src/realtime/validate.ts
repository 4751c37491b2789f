import { fieldError as expectedField, HlsaudioError } from '../errors.js';
import { ID_EXPECTED, isId } from '../ids.js';
import { asSent, parseJson } from '../json.js';
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
  | 'id' // an id (src/ids.ts: 1 to 128 printable ASCII characters)
  | 'text' // any string
  | 'ms' // milliseconds: a finite number >= 0, rounded (the spec's React client sends `currentTime * 1000`)
  | 'uint' // an integer >= 0 (u32, u64, usize)
  | 'number' // a finite number (f32)
  | 'bool'
  | 'ids' // an array of ids
  | 'eventNames' // a non-empty array of the 14 event names
  | 'filters' // an object whose values are ids (its keys are checked against filters.ts)
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
export function parseCommand(text: string): CommandParse {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (cause) {
    return failure('', new HlsaudioError('E_MESSAGE', `message is not JSON (${(cause as Error).message}); send one JSON object per text frame`, { cause }));
  }
  const commandId = isRecord(value) && isId(value.command_id) ? value.command_id : '';
  try {
    return { ok: true, command: toCommand(value) };
  } catch (error) {
    return failure(commandId, error as HlsaudioError);
  }
}

function failure(commandId: string, error: HlsaudioError): CommandParse {
  return { ok: false, command_id: commandId, error };
}

function toCommand(value: unknown): ClientCommand {
  if (!isRecord(value)) throw wireFieldError('message', 'a JSON object with a `command` field', value);
  const name = value.command;
  if (!isCommandName(name)) throw wireFieldError('command', `one of ${COMMAND_NAMES.join(', ')}`, asSent(value, 'command'));
  return { command: name, ...readFields(value, COMMAND_SCHEMAS[name]) } as ClientCommand;
}

/** Validates one published event (`POST /api/events`, parsed by json.ts: one of the spec's 14) and returns it with the spec's fields only, `Option`s as null. */
export function toEvent(value: unknown, where = ''): SpecEvent {
  if (!isRecord(value)) throw wireFieldError(where || 'event', 'a JSON object with an `event` field', value);
  const name = value.event;
  if (!isSpecEventName(name)) throw wireFieldError(`${where}event`, `one of ${SPEC_EVENT_NAMES.join(', ')}`, asSent(value, 'event'));
  return { event: name, ...readFields(value, EVENT_SCHEMAS[name], where) } as SpecEvent;
}

/** Used where a message is too large to parse: its command_id, if it shows in the first kilobyte. */
export function sniffCommandId(text: string): string {
  const match = /"command_id"\s*:\s*"([^"\\]*)"/.exec(text.slice(0, 1024));
  return match && isId(match[1]) ? match[1] : '';
}

function readFields(source: Record<string, unknown>, schema: Record<string, FieldSpec>, where = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(schema)) {
    const value = Object.hasOwn(source, field) ? source[field] : undefined;
    const path = `${where}${field}`;
    if (typeof spec === 'object') {
      out[field] = value === undefined || value === null ? null : readValue(source, field, spec.optional, path);
    } else {
      out[field] = readValue(source, field, spec, path);
    }
  }
  return out;
}

/** `holder[key]` checked as `type`; an error names `path` and shows the value as it was sent. */
function readValue(holder: object, key: string | number, type: FieldType, path: string): unknown {
  const value = Object.hasOwn(holder, key) ? (holder as Record<string, unknown>)[key] : undefined;
  const fieldError = (expected: string) => wireFieldError(path, expected, asSent(holder, key));
  switch (type) {
    case 'id':
      if (isId(value)) return value;
      throw fieldError(ID_EXPECTED);
    case 'text':
      if (typeof value === 'string') return value;
      throw fieldError('a string');
    case 'ms':
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) return Math.round(value);
      throw fieldError('a number of milliseconds >= 0');
    case 'uint':
      if (Number.isSafeInteger(value) && (value as number) >= 0) return value;
      throw fieldError('an integer >= 0');
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw fieldError('a number');
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw fieldError('a boolean');
    case 'ids':
      if (!Array.isArray(value)) throw fieldError('an array of strings');
      return value.map((_item, index) => readValue(value, index, 'id', `${path}[${index}]`));
    case 'eventNames':
      if (!Array.isArray(value) || value.length === 0) throw fieldError('a non-empty array of event names');
      return value.map((item, index) => {
        if (isSpecEventName(item)) return item;
        throw wireFieldError(`${path}[${index}]`, `one of ${SPEC_EVENT_NAMES.join(', ')}`, item);
      });
    case 'filters':
      if (!isRecord(value)) throw fieldError('an object of strings');
      {
        // A dictionary of the client's keys: no prototype, so `__proto__` or `toString` is a key like
        // any other, refused by filters.ts as unknown, never a property of Object.prototype.
        const filters: Record<string, string> = Object.create(null);
        for (const name of Object.keys(value)) filters[name] = readValue(value, name, 'id', `${path}.${name}`) as string;
        return filters;
      }
    case 'action':
      if ((PLAYLIST_ACTIONS as readonly unknown[]).includes(value)) return value;
      throw fieldError(`one of ${PLAYLIST_ACTIONS.join(', ')}`);
    case 'level':
      if ((MESSAGE_LEVELS as readonly unknown[]).includes(value)) return value;
      throw fieldError(`one of ${MESSAGE_LEVELS.join(', ')}`);
    case 'topTracks':
      if (!Array.isArray(value)) throw fieldError('an array of LiveTrackStats');
      return value.map((item, index) => {
        const at = `${path}[${index}]`;
        if (!isRecord(item)) throw wireFieldError(at, 'an object', item);
        return readFields(item, { track_id: 'id', title: 'text', artist: 'text', current_listeners: 'uint' }, `${at}.`);
      });
    case 'any':
      return value;
  }
}

/** A field of a WebSocket message: E_MESSAGE, the wording of every other field error. */
function wireFieldError(field: string, expected: string, got: unknown): HlsaudioError {
  return expectedField(field, expected, got, 'E_MESSAGE');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
