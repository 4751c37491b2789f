import type { ClientCatalogEntry as CatalogEntry } from '../../src/client/catalog.js';
import type { ClientState, CommandInput } from '../../src/client/client.js';
import { Emitter } from '../../src/client/emitter.js';
import { RealtimeClientError } from '../../src/client/errors.js';
import type { MediaLike, PlayerEvents, PlayerLike, RealtimeLike, SessionsApi } from '../../src/client/playback-sync.js';
import type { CreatedSession, QualityReport } from '../../src/client/streaming-client.js';
import type { CommandResponse, ServerEvent } from '../../src/realtime/protocol.js';
import type { PerformanceMetrics, StreamingSession } from '../../src/streaming/types.js';

/**
 * Fakes for PlaybackSync's unit tests: an audio element, a player, event server connections and the
 * sessions API, each recording what it was asked and letting the test play the other side.
 */

type MediaEvent = 'play' | 'pause' | 'ended' | 'timeupdate';

export class FakeMedia implements MediaLike {
  currentTime = 0;
  paused = true;
  ended = false;
  private readonly listeners = new Map<MediaEvent, Set<() => void>>();

  addEventListener(type: MediaEvent, listener: () => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  removeEventListener(type: MediaEvent, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  fire(type: MediaEvent): void {
    for (const listener of this.listeners.get(type) ?? []) listener();
  }

  /** What the element does when something (a button, a media key, the browser) plays it. */
  play(): void {
    this.paused = false;
    this.ended = false;
    this.fire('play');
  }

  pause(): void {
    this.paused = true;
    this.fire('pause');
  }

  end(): void {
    this.paused = true;
    this.ended = true;
    this.fire('pause');
    this.fire('ended');
  }
}

export class FakePlayer extends Emitter<PlayerEvents> implements PlayerLike {
  readonly media = new FakeMedia();
  reloading = false;
  mode = 'auto';
  variant: string | undefined;
  loads: { track: string; session: string }[] = [];
  metricsValue: PerformanceMetrics = {
    buffer_health_percentage: 80,
    download_speed_kbps: 900,
    packet_loss_percentage: 0,
    latency_ms: 20,
    rebuffer_count: 0,
    rebuffer_duration_ms: 0,
    quality_switches: 0,
  };

  load(track: CatalogEntry, session: CreatedSession): void {
    this.loads.push({ track: track.id, session: session.session_id });
    this.mode = 'auto';
    this.variant = undefined;
    this.reloading = true;
    if (!this.media.paused) this.media.pause();
  }

  /** The source is loaded and plays: the element's own play event comes while reloading, then `reloaded`. */
  loaded(playing = true): void {
    if (playing) this.media.play();
    this.reloading = false;
    this.emit('reloaded', undefined);
  }

  setQuality(mode: string): void {
    this.mode = mode;
  }

  play(): Promise<void> {
    this.media.play();
    return Promise.resolve();
  }

  pause(): void {
    this.media.pause();
  }

  metrics(): PerformanceMetrics {
    return this.metricsValue;
  }

  /** The fragment now playing is of `quality`. */
  plays(quality: string): void {
    this.variant = quality;
    this.emit('variant', quality);
  }
}

export interface Sent {
  connection: number;
  sessionId: string | undefined;
  command: CommandInput;
}

/** Each connection the sync opens; commands are answered at once (success, or what `answer` says). */
export class FakeRealtime {
  readonly connections: FakeConnection[] = [];
  readonly sent: Sent[] = [];
  /** A failed CommandResponse's `data.code` for a command, or undefined for success. */
  refuse: (command: CommandInput) => string | undefined = () => undefined;
  /** GetStatus's `connection.playback`. */
  status: unknown = null;

  connect = (sessionId: string | undefined): RealtimeLike => {
    const connection = new FakeConnection(this, this.connections.length, sessionId);
    this.connections.push(connection);
    return connection as unknown as RealtimeLike;
  };

  get last(): FakeConnection {
    return this.connections.at(-1)!;
  }

  /** The playback commands sent (not Subscribe nor GetStatus), as `Name track position`. */
  playbackCommands(): string[] {
    return this.sent
      .filter((sent) => !['Subscribe', 'GetStatus'].includes(sent.command.command))
      .map(({ command }) => {
        const c = command as { command: string; track_id?: string; start_position_ms?: number; position_ms?: number };
        return [c.command, c.track_id, c.start_position_ms ?? c.position_ms].filter((part) => part !== undefined).join(' ');
      });
  }
}

export class FakeConnection {
  state: ClientState = 'idle';
  closed = false;
  private readonly stateListeners = new Set<(state: ClientState, detail: object) => void>();
  private readonly eventListeners = new Set<(event: ServerEvent) => void>();

  constructor(
    private readonly realtime: FakeRealtime,
    readonly index: number,
    readonly sessionId: string | undefined,
  ) {}

  connect(): Promise<void> {
    this.setState('open');
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.setState('closed');
    return Promise.resolve();
  }

  send(command: CommandInput): Promise<CommandResponse> {
    if (this.state !== 'open') return Promise.reject(new RealtimeClientError('E_NOT_CONNECTED', 'not open'));
    this.realtime.sent.push({ connection: this.index, sessionId: this.sessionId, command });
    const code = this.realtime.refuse(command);
    const response: CommandResponse = {
      event: 'CommandResponse',
      command_id: 'x',
      success: code === undefined,
      data: code !== undefined ? { code } : command.command === 'GetStatus' ? { connection: { playback: this.realtime.status } } : null,
      error: code === undefined ? null : `refused: ${code}`,
    };
    return code === undefined ? Promise.resolve(response) : Promise.reject(new RealtimeClientError('E_COMMAND_FAILED', response.error!, response));
  }

  subscribe(events: string[]): Promise<CommandResponse> {
    return this.send({ command: 'Subscribe', events: events as never, filters: null });
  }

  onState(listener: (state: ClientState, detail: object) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onAny(listener: (event: ServerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** The connection dropped, and the client will try again. */
  drop(): void {
    this.setState('reconnecting');
  }

  /** The client reconnected (it sends its remembered Subscribes itself). */
  reopen(): void {
    this.setState('open');
  }

  receive(event: ServerEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }

  private setState(state: ClientState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state, {});
  }
}

/** The sessions API: sessions `s1`, `s2`, … on the quality `initial`; `/healthz` says `bootId`. */
export class FakeApi implements SessionsApi {
  bootId = 'boot-1';
  initial = 'medium';
  created: { trackId: string; adaptive: boolean; preferred: string | null; bandwidth: number }[] = [];
  ended: string[] = [];
  qualityReports: { sessionId: string; report: QualityReport }[] = [];
  metrics: string[] = [];
  /** Throws this from the next calls about a session, when set. */
  failure: Error | undefined;
  /** Sessions that come back only when the test says so (track id → release). */
  readonly holds = new Map<string, () => void>();
  holdTrack: string | undefined;

  createSession: SessionsApi['createSession'] = async (request) => {
    this.created.push({
      trackId: request.trackId,
      adaptive: request.capabilities.adaptive_enabled,
      preferred: request.capabilities.preferred_quality,
      bandwidth: request.capabilities.estimated_bandwidth_kbps,
    });
    const id = `s${this.created.length}`;
    if (request.trackId === this.holdTrack) await new Promise<void>((resolve) => this.holds.set(request.trackId, resolve));
    return { session_id: id, initial_profile: { quality_id: this.initial } as CreatedSession['initial_profile'], master_url: `/hls/${request.trackId}/master.m3u8?session=${id}` };
  };

  endSession: SessionsApi['endSession'] = async (sessionId) => {
    this.ended.push(sessionId);
    return this.session(sessionId, this.initial);
  };

  reportQuality: SessionsApi['reportQuality'] = async (sessionId, report) => {
    this.qualityReports.push({ sessionId, report });
    if (this.failure) throw this.failure;
    return this.session(sessionId, report.quality);
  };

  postMetrics: SessionsApi['postMetrics'] = async (sessionId) => {
    this.metrics.push(sessionId);
    if (this.failure) throw this.failure;
    return this.session(sessionId, this.initial);
  };

  health: SessionsApi['health'] = async () => ({ status: 'ok', version: '0', uptime_s: 1, boot_id: this.bootId, active_sessions: 0 });

  private session(sessionId: string, quality: string): StreamingSession {
    return { session_id: sessionId, current_quality: quality } as StreamingSession;
  }
}

export function catalogEntry(id: string, durationMs = 60_000): CatalogEntry {
  return {
    id,
    title: id,
    artist: null,
    album: null,
    duration_ms: durationMs,
    master: `${id}/master.m3u8`,
    masters: [
      { file: 'master.m3u8', codec_family: 'aac', profiles: ['high', 'medium', 'mobile'] },
      { file: 'master-mp3.m3u8', codec_family: 'mp3', profiles: ['low'] },
    ],
    profiles: ['high', 'medium', 'mobile', 'low'],
  } as CatalogEntry;
}
