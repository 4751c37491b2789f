import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * The server's response class: headers every answer carries (CORS, nosniff) are added in
 * `writeHead`, also for routes other modules add and for implicit heads (`res.end()` alone), unless
 * the route set them itself. Added there rather than with `setHeader` before routing, because a
 * header set with `setHeader` turns Node's `writeHead(status, headers)` into a header-by-header
 * merge: measured in bench/serve, that merge cost about a tenth of the segment request rate.
 */
export class HlsResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the server for each request, before routing. */
  baseHeaders: OutgoingHttpHeaders = {};

  override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const hasReason = typeof reasonOrHeaders === 'string';
    const headers = (hasReason ? maybeHeaders : reasonOrHeaders) ?? {};
    const merged = Array.isArray(headers) ? headers : this.withBase(headers);
    return hasReason ? super.writeHead(statusCode, reasonOrHeaders, merged) : super.writeHead(statusCode, merged);
  }

  private withBase(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const merged: OutgoingHttpHeaders = { ...headers };
    for (const name in this.baseHeaders) {
      if (name === 'Vary' && merged.Vary !== undefined) merged.Vary = `${this.baseHeaders.Vary}, ${merged.Vary}`;
      else if (!(name in merged) && !this.hasHeader(name)) merged[name] = this.baseHeaders[name];
    }
    return merged;
  }
}
