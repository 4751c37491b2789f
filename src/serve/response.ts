import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** No headers: one frozen object wherever none are needed. */
export const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});

/**
 * The server's response class: headers every answer carries (CORS, nosniff) are added in
 * `writeHead`, also for routes other modules add and for implicit heads (`res.end()` alone), unless
 * the route set them itself. Added there rather than with `setHeader` before routing, because a
 * header set with `setHeader` turns Node's `writeHead(status, headers)` into a header-by-header
 * merge: measured in bench/serve, that merge cost about a tenth of the segment request rate.
 * Headers given as a flat list are taken as they are: sendEntity builds its list, base headers
 * included, once per entity (headerListWithBase).
 */
export class HlsResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the server for each request, before routing (one object for all: nothing writes to it). */
  baseHeaders: OutgoingHttpHeaders = NO_HEADERS;

  override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const hasReason = typeof reasonOrHeaders === 'string';
    const headers = (hasReason ? maybeHeaders : reasonOrHeaders) ?? {};
    const merged = Array.isArray(headers) ? headers : this.withBase(headers);
    return hasReason ? super.writeHead(statusCode, reasonOrHeaders, merged) : super.writeHead(statusCode, merged);
  }

  private withBase(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
    return mergeBase(headers, this.baseHeaders, (name) => this.hasHeader(name));
  }
}

/**
 * `headers` and the base headers they lack, as the flat list that `writeHead` takes as it is: for a
 * head built once and sent many times (a media file's, entity.ts), whose route sets no header with
 * `setHeader`.
 */
export function headerListWithBase(headers: OutgoingHttpHeaders, base: OutgoingHttpHeaders): OutgoingHttpHeader[] {
  const list: OutgoingHttpHeader[] = [];
  for (const [name, value] of Object.entries(mergeBase(headers, base, () => false))) if (value !== undefined) list.push(name, value);
  return list;
}

/** A `Vary` of both is joined; any other base header is added unless the answer has it (or `isSet` says the route set it). */
function mergeBase(headers: OutgoingHttpHeaders, base: OutgoingHttpHeaders, isSet: (name: string) => boolean): OutgoingHttpHeaders {
  const merged: OutgoingHttpHeaders = { ...headers };
  for (const name in base) {
    if (name === 'Vary' && merged.Vary !== undefined) merged.Vary = `${base.Vary}, ${merged.Vary}`;
    else if (!(name in merged) && !isSet(name)) merged[name] = base[name];
  }
  return merged;
}
