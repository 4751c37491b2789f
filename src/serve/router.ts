import type { IncomingMessage, ServerResponse } from 'node:http';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters by name, decoded (`:track_id`). */
  params: Record<string, string>;
  query: URLSearchParams;
}

export type RouteHandler = (context: RequestContext) => void | Promise<void>;

interface Route {
  method: HttpMethod;
  /** Literal segments, and `:name` parameters. */
  pattern: string[];
  handler: RouteHandler;
}

export type RouteMatch = { handler: RouteHandler; params: Record<string, string> } | { allowed: HttpMethod[] } | undefined;

/**
 * A small method-and-path router over decoded segments (request-target.ts did the decoding and the
 * refusals). Routes are matched in the order added; a GET route answers HEAD too. Other parts of
 * hlsaudio add theirs: `router.add('GET', '/api/analytics/summary', handler)`.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: HttpMethod | HttpMethod[], pattern: string, handler: RouteHandler): this {
    if (!pattern.startsWith('/')) throw new TypeError(`Expected \`pattern\` to start with /, got ${JSON.stringify(pattern)}`);
    const segments = pattern === '/' ? [] : pattern.slice(1).split('/');
    for (const one of Array.isArray(method) ? method : [method]) {
      if (this.routes.some((route) => route.method === one && route.pattern.join('/') === segments.join('/'))) {
        throw new TypeError(`A route for ${one} ${pattern} exists already`);
      }
      this.routes.push({ method: one, pattern: segments, handler });
    }
    return this;
  }

  /** The handler for a request, or the methods the path allows (405), or undefined (404). */
  match(method: string, segments: readonly string[]): RouteMatch {
    let allowed: Set<HttpMethod> | undefined;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params };
      allowed ??= new Set();
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
    }
    return allowed ? { allowed: [...allowed] } : undefined;
  }
}

function matchPattern(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part.startsWith(':')) {
      if (segments[i] === '') return undefined;
      params[part.slice(1)] = segments[i]!;
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  return params;
}
