import type { ClientCatalogEntry as CatalogEntry } from '../client/catalog.js';
import { clientCapabilities } from '../client/capabilities.js';
import { RealtimeClient } from '../client/client.js';
import { Playback } from '../client/playback.js';
import { PlaybackSync } from '../client/playback-sync.js';
import type { QualityChanged } from '../realtime/protocol.js';
import { type CreatedSession, StreamingClient } from '../client/streaming-client.js';
import type { ServerEvent } from '../realtime/protocol.js';
import { type ConnectionStatus, connectionStatusOf, defaultWebSocketUrl } from './realtime-store.js';

export interface AdaptiveStreamingOptions {
  /** Where `serve` answers (`http://host:8082`); the page's own origin by default. */
  baseUrl?: string;
  /** The event server (`ws://host:8082/api/ws`); by default beside baseUrl, or the page's own. */
  webSocketUrl?: string;
  /** The listener; a random `listener-…` id when absent. */
  userId?: string;
  /** A JWT for the event server. */
  token?: string;
  /** Seconds hls.js buffers ahead (its default, 30, when absent). */
  bufferSec?: number;
  /** Events kept in `events` (default 50). */
  maxEvents?: number;
}

export interface AdaptiveStreamingSnapshot {
  connectionStatus: ConnectionStatus;
  /** The track chosen last. */
  track: CatalogEntry | undefined;
  session: CreatedSession | undefined;
  /** The quality playing (from the fragment played), else the session's; null before any session. */
  currentQuality: string | null;
  /** Buffered ahead over the buffer goal, 0 to 100 (100 once the rest of the track is buffered). */
  bufferHealth: number;
  /** Auto (hls.js adapts within the AAC ladder), or a forced variant. */
  isAdaptive: boolean;
  /** `auto` or the forced quality_id. */
  mode: string;
  isPlaying: boolean;
  /** Seconds. */
  position: number;
  duration: number;
  /** The last quality change the server announced for the session. */
  qualityChange: QualityChanged | undefined;
  /** What went wrong last ('' when nothing). */
  error: string;
  /** The last events of the session's connection, oldest first. */
  events: ServerEvent[];
}

const INITIAL: AdaptiveStreamingSnapshot = {
  connectionStatus: 'disconnected',
  track: undefined,
  session: undefined,
  currentQuality: null,
  bufferHealth: 0,
  isAdaptive: true,
  mode: 'auto',
  isPlaying: false,
  position: 0,
  duration: 0,
  qualityChange: undefined,
  error: '',
  events: [],
};

/** How often buffer health is read again while an element is attached. */
const REFRESH_INTERVAL_MS = 1000;

/**
 * useAdaptiveStreaming's external store: Playback (hls.js) and PlaybackSync on the audio element
 * given by attach(), made only then (in the browser, at commit time), and one immutable snapshot
 * replaced on each change.
 */
export class StreamingStore {
  readonly api: StreamingClient;
  playback: Playback | undefined;
  sync: PlaybackSync | undefined;
  private snapshot = INITIAL;
  private events: ServerEvent[] = [];
  private catalog: Promise<CatalogEntry[]> | undefined;
  private media: HTMLMediaElement | undefined;
  /** The element the ref was last given: attached again when an effect mounts again (StrictMode). */
  private element: HTMLMediaElement | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly options: AdaptiveStreamingOptions = {}) {
    this.api = new StreamingClient({ baseUrl: options.baseUrl });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): AdaptiveStreamingSnapshot => this.snapshot;

  readonly getServerSnapshot = (): AdaptiveStreamingSnapshot => INITIAL;

  /** The audio element's ref callback. */
  setElement(element: HTMLMediaElement | null): void {
    this.element = element;
    this.attach(element);
  }

  /** Attaches the element the ref gave (an effect's mount; React 18's StrictMode unmounts and mounts again). */
  resume(): void {
    this.attach(this.element);
  }

  /** Plays through `media` from now on; null lets go of it (and ends the session). */
  attach(media: HTMLMediaElement | null): void {
    if (media === this.media) return;
    this.detach();
    if (!media) return;
    this.media = media;
    const userId = this.options.userId ?? `listener-${Math.random().toString(36).slice(2, 8)}`;
    const url = this.options.webSocketUrl ?? (this.options.baseUrl ? `${this.options.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/api/ws` : defaultWebSocketUrl());
    const playback = new Playback(media, { bufferSec: this.options.bufferSec, baseUrl: this.options.baseUrl });
    const sync = new PlaybackSync({
      player: playback,
      api: this.api,
      userId,
      connect: (sessionId) => new RealtimeClient({ url, userId, token: this.options.token, sessionId }),
    });
    this.playback = playback;
    this.sync = sync;
    const refresh = () => this.refresh();
    for (const type of ['play', 'pause', 'timeupdate', 'durationchange', 'ended'] as const) {
      media.addEventListener(type, refresh);
      this.cleanups.push(() => media.removeEventListener(type, refresh));
    }
    const timer = setInterval(refresh, REFRESH_INTERVAL_MS);
    this.cleanups.push(
      () => clearInterval(timer),
      playback.on('change', refresh),
      sync.on('change', refresh),
      sync.on('event', (event) => {
        this.events = [...this.events.slice(-((this.options.maxEvents ?? 50) - 1)), event];
        refresh();
      }),
    );
    sync.start();
    refresh();
  }

  /** Loads a track of the catalog (a new session) and plays it. */
  async load(trackId: string): Promise<void> {
    const sync = this.sync;
    if (!sync) throw new Error('No audio element: render the element with `audioRef` first');
    this.catalog ??= this.api.catalog().catch((error: unknown) => {
      this.catalog = undefined;
      throw error;
    });
    const track = (await this.catalog).find((entry) => entry.id === trackId);
    if (!track) {
      this.snapshot = { ...this.snapshot, error: `No track ${JSON.stringify(trackId)} in the catalog` };
      this.notify();
      return;
    }
    await sync.load(track);
  }

  /** Plays `trackId` (loading it first unless it is the one loaded), or resumes the track loaded. */
  play(trackId?: string): Promise<void> {
    const sync = this.sync;
    if (!sync) return Promise.resolve();
    if (trackId !== undefined && sync.loadedTrack?.id !== trackId) return this.load(trackId);
    return sync.play();
  }

  pause(): void {
    this.sync?.pause();
  }

  seek(seconds: number): void {
    this.sync?.seek(seconds);
  }

  /** `auto`, or a quality_id to force. */
  setQuality(mode: string): void {
    this.sync?.chooseQuality(mode);
    this.refresh();
  }

  /** Adaptation on (Auto), or off on the quality playing now. */
  setIsAdaptive(adaptive: boolean): void {
    const quality = this.snapshot.currentQuality;
    if (adaptive) this.setQuality('auto');
    else if (quality) this.setQuality(quality);
  }

  /** The specification's call: a session for `trackId`, its id. (load() makes one too, and plays it.) */
  async createStreamingSession(trackId: string): Promise<string> {
    const mode = this.playback?.mode ?? 'auto';
    const created = await this.api.createSession({ trackId, capabilities: clientCapabilities(mode), clientId: this.options.userId });
    return created.session_id;
  }

  /** The master a player loads for `trackId`: the session's own when it is the track loaded. */
  getHLSMasterPlaylist(trackId: string): string {
    const session = this.sync?.loadedTrack?.id === trackId ? this.snapshot.session : undefined;
    return this.api.masterUrl(trackId, session?.session_id);
  }

  private detach(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.sync?.dispose();
    this.playback?.destroy();
    this.sync = undefined;
    this.playback = undefined;
    this.media = undefined;
  }

  private refresh(): void {
    const sync = this.sync;
    const playback = this.playback;
    const media = this.media;
    if (!sync || !playback || !media) return;
    const state = sync.state;
    const s = playback.snapshot();
    const next: AdaptiveStreamingSnapshot = {
      connectionStatus: connectionStatusOf(state.connection),
      track: state.track,
      session: state.session,
      currentQuality: s.variant ?? state.sessionQuality ?? null,
      bufferHealth: s.bufferHealth,
      isAdaptive: s.mode === 'auto',
      mode: s.mode,
      isPlaying: playback.wantsPlaying,
      position: media.currentTime,
      duration: state.track ? state.track.duration_ms / 1000 : 0,
      qualityChange: state.qualityChange,
      error: state.error,
      events: this.events,
    };
    const previous = this.snapshot;
    if ((Object.keys(next) as (keyof AdaptiveStreamingSnapshot)[]).every((key) => Object.is(next[key], previous[key]))) return;
    this.snapshot = next;
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
