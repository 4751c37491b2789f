import { HlsaudioError } from '../errors.js';

/** A request target split into decoded path segments and a query. */
export interface RequestTarget {
  segments: string[];
  query: URLSearchParams;
}

/**
 * Raw (still percent-encoded) spellings of a slash, a backslash and NUL: refused before decoding, so
 * that no decoded segment can hold a separator and `..%2f..` never becomes a path.
 */
const ENCODED_SEPARATOR = /%(?:2f|5c|00)/i;
const CONTROL = /[\u0000-\u001f\u007f]/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * Splits a request target into segments, refusing (E_BAD_PATH, 400) anything that could name a file
 * outside the served folder: `.` and `..` segments (also percent-encoded), encoded slashes,
 * backslashes, NUL and other control bytes, empty segments (`//etc/passwd`), bad escapes, and a
 * target that is not a path. Routes then accept only names listed in track.json, so a path is
 * never built from what a client typed.
 */
export function parseRequestTarget(raw: string, maxBytes: number): RequestTarget {
  if (raw.length > maxBytes) throw new HlsaudioError('E_URL_TOO_LONG', `The request target is longer than ${maxBytes} bytes`);
  const target = !raw.startsWith('/') && ABSOLUTE_FORM.test(raw) ? raw.replace(ABSOLUTE_FORM, '') || '/' : raw;
  if (!target.startsWith('/')) throw badPath('the request target is not a path');
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  const query = queryStart === -1 ? NO_QUERY : new URLSearchParams(target.slice(queryStart + 1));
  if (path.includes('\\') || (path.includes('%') && ENCODED_SEPARATOR.test(path))) throw badPath('the path holds a backslash, an encoded slash or a NUL byte');
  if (path === '/') return { segments: [], query };
  const segments = path.slice(1).split('/');
  return {
    segments: segments.map((segment, index) => {
      let decoded = segment;
      if (segment.includes('%')) {
        try {
          decoded = decodeURIComponent(segment);
        } catch {
          throw badPath('the path has a malformed percent-escape');
        }
      }
      if (decoded === '' && index < segments.length - 1) throw badPath('the path has an empty segment');
      if (decoded === '.' || decoded === '..') throw badPath('the path has a `.` or `..` segment');
      if (CONTROL.test(decoded)) throw badPath('the path holds a control character');
      return decoded;
    }),
    query,
  };
}

/**
 * The query of every target that has none: one object, since making a URLSearchParams was a
 * measurable share of a segment request (bench/serve's profile). Routes only read queries; a write
 * to this one throws rather than reach the next request.
 */
class EmptyQuery extends URLSearchParams {
  override append(): never {
    throw new TypeError('The query of a request without one cannot be changed');
  }
  override delete(): never {
    return this.append();
  }
  override set(): never {
    return this.append();
  }
  override sort(): never {
    return this.append();
  }
}
const NO_QUERY: URLSearchParams = new EmptyQuery();

function badPath(why: string): HlsaudioError {
  return new HlsaudioError('E_BAD_PATH', `Bad request path: ${why}`);
}
