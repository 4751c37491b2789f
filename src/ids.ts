import { inputDefaults } from './defaults.js';
import { type ErrorCode, fieldError, type HlsaudioError } from './errors.js';

/**
 * The one rule for ids a client gives or a token carries, in every layer: `user_id` (and a JWT `sub`),
 * `command_id`, `playlist_id`, streaming and play `session_id`, subscription filter values,
 * `client_id`. 1 to `inputDefaults.idMaxChars` printable ASCII characters, no space and no control
 * byte, so an id is safe in a log line, a header or a file, and `%00admin` or a 10,000-character
 * subject is refused at the door instead of travelling through the server. Track ids follow the
 * stricter rule of folder names (catalog/track-id.ts), which this one contains.
 */
const ID = new RegExp(`^[\\x21-\\x7e]{1,${inputDefaults.idMaxChars}}$`);

/** What the rule asks, in the words of an error message. */
export const ID_EXPECTED = `an id of 1 to ${inputDefaults.idMaxChars} printable ASCII characters (no space)`;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** `Expected \`field\` to be an id of …, got …` with the layer's code (E_FIELD over HTTP, E_MESSAGE on the WebSocket). */
export function idError(field: string, got: unknown, code: ErrorCode = 'E_FIELD'): HlsaudioError {
  return fieldError(field, ID_EXPECTED, got, code);
}

/** The id, or the error naming `field`. */
export function checkId(field: string, value: unknown, code: ErrorCode = 'E_FIELD'): string {
  if (isId(value)) return value;
  throw idError(field, value, code);
}
