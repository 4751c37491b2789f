import type { IncomingMessage } from 'node:http';

/**
 * Conditional requests (RFC 9110 section 13). If-None-Match wins over If-Modified-Since; ETags are
 * compared weakly for If-None-Match (a `W/` prefix is ignored) and strongly for If-Range.
 */
export function isNotModified(req: IncomingMessage, etag: string, lastModified: string | undefined): boolean {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch !== undefined) {
    return noneMatch.trim() === '*' || noneMatch.split(',').some((tag) => stripWeak(tag.trim()) === stripWeak(etag));
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined || lastModified === undefined) return false;
  const sinceMs = Date.parse(since);
  // A date later than the server's clock is invalid and ignored (RFC 2616 14.25; RFC 9110 13.1.3
  // ignores an invalid date): a client that sends one would otherwise get 304s for a file changed later.
  return Number.isFinite(sinceMs) && sinceMs <= Date.now() && Date.parse(lastModified) <= sinceMs;
}

/** Whether a Range may be honoured: no If-Range, or one naming the current representation. */
export function ifRangeHolds(req: IncomingMessage, etag: string, lastModified: string | undefined): boolean {
  const condition = req.headers['if-range'] as string | undefined;
  if (condition === undefined) return true;
  if (condition.startsWith('"')) return condition === etag;
  if (condition.startsWith('W/')) return false;
  return lastModified !== undefined && Date.parse(condition) === Date.parse(lastModified);
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
