import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface CorsOptions {
  origin: string;
  maxAgeSec: number;
}

/** Headers a player on another origin must read: range answers and our quality header. */
const EXPOSED = 'Content-Range, Content-Length, Accept-Ranges, ETag, X-Hlsaudio-Quality';
const DEFAULT_ALLOWED_HEADERS = 'Range, Content-Type, If-None-Match, If-Modified-Since, If-Range';
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** The CORS headers of every answer, errors included (HlsResponse adds them). */
export function corsHeaders(options: CorsOptions): OutgoingHttpHeaders {
  return {
    'Access-Control-Allow-Origin': options.origin,
    'Access-Control-Expose-Headers': EXPOSED,
    ...(options.origin === '*' ? {} : { Vary: 'Origin' }),
  };
}

/** Answers a preflight (OPTIONS) for a path that allows `methods`. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, methods: readonly string[], options: CorsOptions): void {
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    Allow: methods.join(', '),
    'Access-Control-Allow-Methods': methods.join(', '),
    'Access-Control-Allow-Headers': requested && HEADER_LIST.test(requested.trim()) ? requested.trim() : DEFAULT_ALLOWED_HEADERS,
    'Access-Control-Max-Age': String(options.maxAgeSec),
    'Content-Length': 0,
  });
  res.end();
}
