import type { ClientCatalogEntry as CatalogEntry } from './catalog.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import type { ClientCapabilities, PerformanceMetrics, QualityReportReason, StreamingSession } from '../streaming/types.js';
import { type Peaks, parsePeaks } from './peaks.js';

export interface StreamingClientOptions {
  /** Where `serve` answers, such as `http://127.0.0.1:8082`; '' (the default) for the page's own origin. */
  baseUrl?: string;
  /** A fetch implementation, where the global one will not do. */
  fetch?: typeof fetch;
}

/** `POST /api/streaming/session`'s answer. */
export interface CreatedSession {
  session_id: string;
  initial_profile: AdaptiveProfile;
  master_url: string;
}

export interface QualityReport {
  quality: string;
  /** false: the listener forced this quality (the monitor leaves the session alone); true: adaptation back on. */
  adaptive_enabled?: boolean;
  reason?: QualityReportReason;
}

/** `GET /healthz`. `boot_id` changes when the server restarts (its sessions, kept in memory, are then gone). */
export interface Health {
  status: string;
  version: string;
  uptime_s: number;
  boot_id: string;
  active_sessions: number;
}

/**
 * A failed call: `code` is the server's own (`E_UNKNOWN_SESSION`, `E_UNKNOWN_TRACK`, `E_FIELD`, …,
 * from its `{error, message}` answer), `E_HTTP` for an answer that is not one, `E_NETWORK` when no
 * answer came.
 */
export class StreamingApiError extends Error {
  override name = 'StreamingApiError';

  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The sessions API of `serve` (and the few other routes a player reads), typed, for browsers and
 * Node 22+. Each call is one request; retries and restarts are PlaybackSync's concern.
 */
export class StreamingClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: StreamingClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    // Bound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /**
   * `POST /api/streaming/session`. `userId` is the session's user in anonymous mode (a JWT server
   * takes its user from a bearer token only): its QualityChanged events also reach that user's connections.
   */
  createSession(request: { trackId: string; capabilities: ClientCapabilities; clientId?: string; userId?: string }): Promise<CreatedSession> {
    return this.json('POST', '/api/streaming/session', {
      track_id: request.trackId,
      client_id: request.clientId,
      user_id: request.userId,
      client_capabilities: request.capabilities,
    });
  }

  getSession(sessionId: string): Promise<StreamingSession> {
    return this.json('GET', sessionPath(sessionId));
  }

  /** `PUT …/quality`: the session's `current_quality` is now `report.quality`. */
  reportQuality(sessionId: string, report: QualityReport): Promise<StreamingSession> {
    return this.json('PUT', `${sessionPath(sessionId)}/quality`, report);
  }

  /** `POST …/metrics`; the answer holds the monitor's last recommendation. */
  postMetrics(sessionId: string, metrics: PerformanceMetrics): Promise<StreamingSession> {
    return this.json('POST', `${sessionPath(sessionId)}/metrics`, metrics);
  }

  endSession(sessionId: string): Promise<StreamingSession> {
    return this.json('DELETE', sessionPath(sessionId));
  }

  health(): Promise<Health> {
    return this.json('GET', '/healthz', undefined, { cache: 'no-store' });
  }

  async catalog(): Promise<CatalogEntry[]> {
    return (await this.json<{ tracks: CatalogEntry[] }>('GET', '/catalog.json')).tracks;
  }

  /** The track's waveform (`/hls/:track_id/peaks.json`), or undefined when it has none (404). */
  async peaks(trackId: string): Promise<Peaks | undefined> {
    const response = await this.request('GET', `/hls/${encodeURIComponent(trackId)}/peaks.json`);
    if (response.status === 404) return undefined;
    return parsePeaks(await this.answer(response, 'peaks.json'));
  }

  /** The master a player loads: with a session, the session's master, which lists its chosen profile first. */
  masterUrl(trackId: string, sessionId?: string, file = 'master.m3u8'): string {
    const query = sessionId === undefined ? '' : `?session=${encodeURIComponent(sessionId)}`;
    return this.url(`/hls/${encodeURIComponent(trackId)}/${file}${query}`);
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  private async json<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    return (await this.answer(await this.request(method, path, body, init), `${method} ${path}`)) as T;
  }

  private async request(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
    try {
      return await this.fetchImpl(this.url(path), {
        ...init,
        method,
        ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new StreamingApiError('E_NETWORK', `${method} ${path}: no answer (${(error as Error).message})`, 0);
    }
  }

  private async answer(response: Response, what: string): Promise<unknown> {
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new StreamingApiError('E_HTTP', `${what}: HTTP ${response.status} with a body that is not JSON`, response.status);
    }
    if (response.ok) return value;
    const { error, message } = (value ?? {}) as { error?: unknown; message?: unknown };
    throw new StreamingApiError(
      typeof error === 'string' ? error : 'E_HTTP',
      typeof message === 'string' ? message : `${what}: HTTP ${response.status}`,
      response.status,
    );
  }
}

function sessionPath(sessionId: string): string {
  return `/api/streaming/session/${encodeURIComponent(sessionId)}`;
}
