import { basename, relative } from 'node:path';
import { inputDefaults } from './defaults.js';
import { expectedMessage } from './option-table.js';

/**
 * The one error type of hlsaudio. Every failure a user can meet carries a stable `code` (listed in
 * README "Exit codes and error codes"), the file or field it concerns, and a message a user can act on.
 * Commands throw it; only `cli/main.ts` turns it into an exit status.
 */
export type ErrorCode =
  | 'E_OPTION' // a command-line option has a bad value
  | 'E_PROFILE' // a profile file is unreadable or a profile field is invalid
  | 'E_INPUT_MISSING' // a source file does not exist or cannot be read
  | 'E_INPUT_NOT_AUDIO' // ffprobe cannot read the source as media
  | 'E_INPUT_NO_AUDIO' // the source has no audio stream
  | 'E_INPUT_EMPTY' // the source's audio stream decodes to no samples
  | 'E_INPUT_CORRUPT' // the source is damaged: ffmpeg reported decoding errors, or it decodes shorter than its container says (`--accept-damaged` builds it anyway)
  | 'E_INPUT_DUPLICATE_ID' // two sources would get the same track id
  | 'E_FFMPEG_NOT_FOUND' // no working ffmpeg or ffprobe binary
  | 'E_FFMPEG' // ffmpeg or ffprobe exited with an error
  | 'E_BITSTREAM' // an encoder wrote something that is not a clean ADTS, MPEG audio or MP4 stream
  | 'E_LOUDNESS' // a variant cannot be normalised to --loudness-target within --true-peak-ceiling
  | 'E_OUTPUT' // the output folder cannot be written (full disk, quota, read-only, permissions)
  | 'E_CATALOG' // catalog.json or a track.json is unreadable
  | 'E_INTERRUPTED' // the run was stopped by a signal
  | 'E_DATA' // a file of the data folder (server-side playlists) is unreadable or not ours
  | 'E_AUTH' // a token is missing, malformed, badly signed, expired, or not for this user
  | 'E_FORBIDDEN' // the caller is known but may not do this (another user's playlist, a token without the publish or analytics scope)
  | 'E_UNAVAILABLE' // the event server is full or shutting down; with `--redis`, Redis does not answer a sessions request, or one session changed under too many tries
  | 'E_MESSAGE' // a WebSocket message or published event is not JSON, too large, unknown, or has a bad field
  | 'E_QUOTA' // 429: a client (its user, or its address) holds its share of a resource: connections, streaming sessions, playlists
  | 'E_PLAYBACK' // a playback command does not fit the connection's playback state
  | 'E_PLAYLIST' // a playlist command does not fit the playlist (unknown, missing track, bad position, full)
  // listening analytics (src/analytics); over HTTP as JSON `{error: code, message}`
  | 'E_ANALYTICS_DB' // the analytics database cannot be opened, is not one, or was made by a newer hlsaudio
  | 'E_ANALYTICS_CLOSED' // a call on an analytics store after close()
  | 'E_ANALYTICS_WRITE' // a batch of analytics rows could not be written (kept within maxQueuedRows while the database is away, else dropped; the next write retries the totals)
  | 'E_DB' // `serve --db postgres://…`: PostgreSQL cannot be reached at start (the URL is shown with its password masked)
  | 'E_UNKNOWN_PLAY_SESSION' // no play session with this id
  | 'E_PLAY_SESSION_ENDED' // the play session was ended (by a call or for being idle)
  | 'E_TOO_MANY_PLAY_SESSIONS' // analyticsDefaults.maxOpenSessions play sessions are open
  // `hlsaudio serve`: the folder and the socket
  | 'E_NOT_OUTPUT_FOLDER' // the folder given to `serve` holds no readable catalog.json (track folders alone: run `hlsaudio catalog`)
  | 'E_LISTEN' // the server cannot listen (port taken, address not here, permission)
  | 'E_REDIS' // `serve --redis`: Redis cannot be reached at start (the URL is shown with its password masked)
  // `hlsaudio serve`: HTTP answers, sent as JSON `{error: code, message}` (http/status.ts maps each to a status)
  | 'E_BAD_REQUEST' // 400: a malformed HTTP request (Node's parser refused it), or an HTTP/1.1 request without Host
  | 'E_REQUEST_TIMEOUT' // 408: a request's headers (or the whole request) did not arrive within serveDefaults.headersTimeoutMs (requestTimeoutMs)
  | 'E_HEADERS_TOO_LARGE' // 431: request headers over Node's 16 KiB
  | 'E_BAD_PATH' // 400: a request path with `..`, encoded slashes, backslashes, NUL bytes or bad escapes
  | 'E_NOT_FOUND' // 404: no such route or file
  | 'E_METHOD_NOT_ALLOWED' // 405: the route exists, not with this method
  | 'E_URL_TOO_LONG' // 414: the request target is longer than serveDefaults.maxUrlBytes
  | 'E_UNKNOWN_TRACK' // 404: no track with this id (HTTP), or a command names a track the catalog does not hold (WebSocket)
  | 'E_UNKNOWN_QUALITY' // 404: the track has no profile with this quality_id
  | 'E_UNKNOWN_SESSION' // 404: no streaming session with this id (never made, ended or expired)
  | 'E_BAD_JSON' // 400: a request body that is not JSON, or not a JSON object
  | 'E_FIELD' // 400: a field of a request (body or query) or an analytics argument has a wrong type or value
  | 'E_BODY_TOO_LARGE' // 413: a request body over its limit (serveDefaults.maxBodyBytes, realtimeDefaults.eventsMaxBodyBytes)
  | 'E_UNSUPPORTED_MEDIA_TYPE' // 415: a body that is not of the content type the route reads
  | 'E_RANGE_NOT_SATISFIABLE' // 416: a Range that starts past the end of the file
  | 'E_FILE_CHANGED' // 503: a file was replaced (its track rebuilt) between its lookup and its read, twice in a row
  | 'E_TOO_MANY_SESSIONS' // 503: streamingDefaults.maxSessions sessions are open
  | 'E_INTERNAL'; // 500: a bug or a failing dependency; what a client sees names no path, the log says more

export interface HlsaudioErrorOptions {
  /** The file the error concerns (a source, a profile file, an output file). */
  file?: string;
  /** The field the error concerns, such as `bitrate_kbps` or `--segment-duration`. */
  field?: string;
  /** When asking again may succeed, in seconds: sent as `Retry-After` with a 429 or 503. */
  retryAfterSec?: number;
  cause?: unknown;
}

export class HlsaudioError extends Error {
  override name = 'HlsaudioError';
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly retryAfterSec: number | undefined;

  constructor(code: ErrorCode, message: string, options: HlsaudioErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.field = options.field;
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isHlsaudioError(value: unknown): value is HlsaudioError {
  return value instanceof HlsaudioError;
}

/** `Expected \`x\` to be …, got …`: the one way option errors read (as p-queue and execa word them). */
export function optionError(field: string, expected: string, got: unknown): HlsaudioError {
  return fieldError(field, expected, got, 'E_OPTION');
}

/**
 * The same wording for a field of a request body or query (`client_capabilities.device_type`), of a
 * WebSocket message (`E_MESSAGE`) or of an analytics call.
 */
export function fieldError(field: string, expected: string, got: unknown, code: ErrorCode = 'E_FIELD'): HlsaudioError {
  return new HlsaudioError(code, expectedMessage(field, expected, describe(got)), { field });
}

/**
 * A value as a client sent it, where the parsed value would say something else: a JSON number such
 * as `1e20`, which JavaScript prints `100000000000000000000` (json.ts keeps the source text).
 */
export class AsSent {
  constructor(
    readonly type: 'number',
    readonly text: string,
  ) {}
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (value instanceof AsSent) return `${value.type} ${clip(value.text)}`;
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${clip(String(value))}`;
}

/**
 * A client's text inside a message, as a JSON string cut to `inputDefaults.echoMaxChars` characters
 * (`"aaa…" (8192 characters)`): an error names what was wrong without sending the request back.
 */
export function quote(text: string): string {
  return text.length <= inputDefaults.echoMaxChars ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, inputDefaults.echoMaxChars))}… (${text.length} characters)`;
}

/** A whole error message cut to `inputDefaults.errorMessageMaxChars`: the backstop of every answer that carries one. */
export function capMessage(message: string): string {
  return message.length <= inputDefaults.errorMessageMaxChars ? message : `${message.slice(0, inputDefaults.errorMessageMaxChars)}…`;
}

/** A client's text inside a message, unquoted (a field name it chose), cut like `quote`. */
export function clip(text: string): string {
  return text.length <= inputDefaults.echoMaxChars ? text : `${text.slice(0, inputDefaults.echoMaxChars)}…`;
}

/** A path as a user typed it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file || basename(file);
}

export function errnoText(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EROFS') return 'read-only file system';
  return (cause as Error)?.message ?? String(cause);
}

/** errno codes that say the output's file system refuses writes: no run can go on there until someone acts. */
const OUTPUT_REFUSED = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/** Whether a failure is the output's file system refusing writes (full, over quota, read-only). */
export function isOutputRefused(cause: unknown): boolean {
  return OUTPUT_REFUSED.has((cause as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * A failed write in the output folder as E_OUTPUT, naming the path and why: ``out/catalog.json:
 * cannot write (no space left on the device)``. An HlsaudioError passes through unchanged.
 */
export function outputError(path: string, what: string, cause: unknown): HlsaudioError {
  if (isHlsaudioError(cause)) return cause;
  return new HlsaudioError('E_OUTPUT', `${displayPath(path)}: ${what} (${errnoText(cause)})`, { file: path, cause });
}
