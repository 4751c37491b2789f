import type { ErrorCode } from '../errors.js';

/**
 * The HTTP status of every error code an HTTP answer can carry, for every layer that answers HTTP
 * (the HLS routes and sessions API, the event server's upgrades and `POST /api/events`, the
 * analytics routes). A code not listed is not the client's doing: the answer is a 500.
 */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  E_BAD_PATH: 400,
  E_BAD_REQUEST: 400,
  E_BAD_JSON: 400,
  E_FIELD: 400,
  E_MESSAGE: 400,
  E_AUTH: 401,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_UNKNOWN_TRACK: 404,
  E_UNKNOWN_QUALITY: 404,
  E_UNKNOWN_SESSION: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_REQUEST_TIMEOUT: 408,
  E_BODY_TOO_LARGE: 413,
  E_URL_TOO_LONG: 414,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_RANGE_NOT_SATISFIABLE: 416,
  E_QUOTA: 429,
  E_HEADERS_TOO_LARGE: 431,
  E_TOO_MANY_SESSIONS: 503,
  E_FILE_CHANGED: 503,
  E_UNAVAILABLE: 503,
  E_ANALYTICS_CLOSED: 503,
};

export function httpStatusOf(code: ErrorCode): number | undefined {
  return HTTP_STATUS[code];
}
