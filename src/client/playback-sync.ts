import type { ClientCatalogEntry as CatalogEntry } from './catalog.js';
import type { CommandResponse, EventFilters, ServerEvent, SpecEventName } from '../realtime/protocol.js';
import type { ClientCapabilities, PerformanceMetrics } from '../streaming/types.js';
import { clientCapabilities } from './capabilities.js';
import type { ClientState, CommandInput, RealtimeClient } from './client.js';
import { clientDefaults } from './defaults.js';
import { Emitter } from './emitter.js';
import { RealtimeClientError } from './errors.js';
import { type QualityChanged, qualityChangeOf } from './quality-changed.js';
import { type CreatedSession, type QualityReport, StreamingApiError, type StreamingClient } from './streaming-client.js';

/** What PlaybackSync reads of an audio element (an HTMLAudioElement is one). */
export interface MediaLike {
  currentTime: number;
  readonly paused: boolean;
  readonly ended: boolean;
  addEventListener(type: 'play' | 'pause' | 'ended' | 'timeupdate', listener: () => void): void;
  removeEventListener(type: 'play' | 'pause' | 'ended' | 'timeupdate', listener: () => void): void;
}

export interface PlayerEvents {
  /** A load, a cross-family switch or a media error's recovery is over; `blocked`: the browser refused play(). */
  reloaded: [blocked: Error | undefined];
  /** The quality_id now playing (from the fragment played), when it changed. */
  variant: [quality: string];
  /** Something a panel shows changed. */
  change: [];
  /** A fatal error that recovery did not fix. */
  error: [message: string];
}

/** What PlaybackSync drives (Playback, the hls.js wrapper, is one; the unit tests use a fake). */
export interface PlayerLike {
  readonly media: MediaLike;
  /** From a load (or recovery) until the new source plays or is left paused: the element's events then are the player's own doing. */
  readonly reloading: boolean;
  /** `auto` or the forced quality_id. */
  readonly mode: string;
  /** The quality_id being played, undefined before the first fragment. */
  readonly variant: string | undefined;
  load(track: CatalogEntry, session: CreatedSession): void;
  setQuality(mode: string): void;
  play(): Promise<void>;
  pause(): void;
  metrics(): PerformanceMetrics;
  on<K extends keyof PlayerEvents>(name: K, listener: (...args: PlayerEvents[K]) => void): () => void;
}

/** The part of RealtimeClient PlaybackSync uses. */
export type RealtimeLike = Pick<RealtimeClient, 'state' | 'connect' | 'close' | 'send' | 'subscribe' | 'onState' | 'onAny'>;
/** The part of StreamingClient PlaybackSync uses. */
export type SessionsApi = Pick<StreamingClient, 'createSession' | 'endSession' | 'reportQuality' | 'postMetrics' | 'health'>;

export interface PlaybackSyncOptions {
  player: PlayerLike;
  api: SessionsApi;
  /** Opens a connection to the event server for a streaming session (none before the first track). */
  connect: (sessionId: string | undefined) => RealtimeLike;
  userId: string;
  /** Capabilities sent with a new session; defaults to clientCapabilities (navigator.connection). */
  capabilities?: (mode: string) => ClientCapabilities;
  progressIntervalMs?: number;
  metricsIntervalMs?: number;
}

export interface SyncState {
  /** The state of the event server connection. */
  connection: ClientState;
  /** The track chosen last (loading or loaded). */
  track: CatalogEntry | undefined;
  session: CreatedSession | undefined;
  /** The session's `current_quality` as far as this client knows. */
  sessionQuality: string | undefined;
  /** The last quality change the server announced for the session. */
  qualityChange: QualityChanged | undefined;
  /** What went wrong last, for the listener; '' when nothing. */
  error: string;
}

export interface SyncEvents {
  change: [state: SyncState];
  /** Every event the connection received. */
  event: [event: ServerEvent];
}

/** This listener's own playback events (filtered by user), and events for everyone. */
export const OWN_EVENTS: SpecEventName[] = ['PlaybackStarted', 'PlaybackPaused', 'PlaybackResumed', 'PlaybackStopped', 'PlaybackProgress'];
export const SHARED_EVENTS: SpecEventName[] = ['LiveStats', 'ServerMessage', 'TrackLiked', 'TrackShared', 'PlaylistUpdated'];

/** What the server holds for this connection's playback (GetStatus `data.connection.playback`). */
export interface ServerPlayback {
  track_id: string;
  state: 'playing' | 'paused';
  position_ms: number;
}

/** What the server holds for one opened connection (numbered), as far as this client told it. */
interface Held {
  connection: number;
  trackId: string;
  playing: boolean;
}

/**
 * Keeps the server in step with an audio element, with no DOM of its own. Whatever starts or pauses
 * the element (a button, a media key, the browser), the server is told `Play`/`Pause`, one command at
 * a time until the two agree; the player's own reloads are left out until they are over. A track
 * choice stops the previous one and makes a streaming session (of two quick choices the last one
 * wins). While playing, a `Seek` tells the progress every `progressIntervalMs` and metrics are posted
 * every `metricsIntervalMs`; in Auto, the variant the player really plays is reported as the
 * session's quality. A new connection holds no playback, so a reconnection is told from scratch;
 * a server restart (a new `boot_id` in `/healthz`) or an expired session (`404 E_UNKNOWN_SESSION`)
 * makes a new session, on the forced variant if one is.
 */
export class PlaybackSync extends Emitter<SyncEvents> {
  private readonly player: PlayerLike;
  private readonly media: MediaLike;
  private readonly options: Required<Omit<PlaybackSyncOptions, 'player'>>;
  private stateValue: SyncState = { connection: 'idle', track: undefined, session: undefined, sessionQuality: undefined, qualityChange: undefined, error: '' };
  private client: RealtimeLike | undefined;
  /** Numbers the connections announced ready; `announced` is the current one, `usable` once its session is known to exist. */
  private opened = 0;
  private announced: number | undefined;
  private usable: number | undefined;
  private held: Held | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private qualityQueue: Promise<unknown> = Promise.resolve();
  /** The track whose media is loaded. */
  private current: CatalogEntry | undefined;
  /** Counts track choices: a choice's awaited results apply only if no later one came. */
  private selection = 0;
  /** The listener has started `current` and not reached its end. */
  private listened = false;
  private lastProgressAt = 0;
  /** The server process the session was made on (`/healthz` boot_id). */
  private sessionBootId: string | undefined;
  private renewing: Promise<boolean> | undefined;
  private metricsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly cleanups: (() => void)[] = [];
  private readonly idPrefix = Math.random().toString(36).slice(2, 8);
  private commandCount = 0;

  constructor(options: PlaybackSyncOptions) {
    super();
    this.player = options.player;
    this.media = options.player.media;
    this.options = {
      api: options.api,
      connect: options.connect,
      userId: options.userId,
      capabilities: options.capabilities ?? ((mode) => clientCapabilities(mode)),
      progressIntervalMs: options.progressIntervalMs ?? clientDefaults.progressIntervalMs,
      metricsIntervalMs: options.metricsIntervalMs ?? clientDefaults.metricsIntervalMs,
    };
  }

  get state(): SyncState {
    return this.stateValue;
  }

  /** The track whose media is loaded (undefined while a choice is on its way). */
  get loadedTrack(): CatalogEntry | undefined {
    return this.current;
  }

  /** Opens the connection and starts listening to the element and the player. Call once (in a browser: in an effect). */
  start(): void {
    const media = this.media;
    const listen = (type: 'play' | 'pause' | 'ended' | 'timeupdate', listener: () => void) => {
      media.addEventListener(type, listener);
      this.cleanups.push(() => media.removeEventListener(type, listener));
    };
    listen('play', () => {
      if (this.player.reloading) return;
      this.listened = true;
      void this.sync();
    });
    listen('pause', () => {
      if (!this.player.reloading) void this.sync();
    });
    listen('ended', () => {
      this.listened = false;
      void this.sync();
    });
    listen('timeupdate', () => {
      if (this.current && !media.paused && Date.now() - this.lastProgressAt >= this.options.progressIntervalMs) {
        this.lastProgressAt = Date.now();
        void this.tellPosition();
      }
    });
    this.cleanups.push(
      this.player.on('reloaded', (blocked) => {
        if (blocked) this.update({ error: `Playback blocked: ${blocked.message}. Press play.` });
        if (!media.paused) this.listened = true;
        void this.sync();
      }),
      // In Auto, what the player's ABR really plays is told to the session.
      this.player.on('variant', (quality) => {
        if (this.player.mode === 'auto' && quality !== this.stateValue.sessionQuality) this.reportQuality({ quality, reason: 'player' });
      }),
      this.player.on('error', (message) => this.update({ error: `Playback error: ${message}` })),
    );
    this.metricsTimer = setInterval(() => this.postMetrics(), this.options.metricsIntervalMs);
    this.openConnection(undefined);
  }

  /** Closes the connection (the server ends the play) and ends the session; the instance is done. */
  dispose(): void {
    clearInterval(this.metricsTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    ++this.selection;
    const session = this.stateValue.session;
    if (session) this.options.api.endSession(session.session_id).catch(() => {});
    void this.client?.close();
    this.client = undefined;
  }

  /** Chooses a track: stops the one playing, makes a session, loads and plays it. */
  async load(track: CatalogEntry): Promise<void> {
    const generation = ++this.selection;
    this.update({ track, error: '' });
    if (this.current) {
      this.current = undefined;
      this.listened = false;
      this.player.pause();
    }
    await this.sync(); // Stop on the old connection, before the new session's replaces it
    if (generation !== this.selection) return;
    let next: CreatedSession;
    try {
      next = await this.createSession(track, 'auto');
    } catch (error) {
      if (generation === this.selection) this.update({ error: (error as Error).message });
      return;
    }
    if (generation !== this.selection) return this.drop(next);
    this.useSession(next);
    this.current = track;
    this.listened = false;
    this.player.load(track, next);
  }

  play(): Promise<void> {
    if (!this.current) return Promise.resolve();
    return this.player.play().catch((error: Error) => {
      if (error.name === 'NotAllowedError') this.update({ error: `Playback blocked: ${error.message}. Press play.` });
    });
  }

  pause(): void {
    if (this.current) this.player.pause();
  }

  /** Moves the play head (clamped to the track) and tells the server at once. */
  seek(seconds: number): void {
    if (!this.current) return;
    this.media.currentTime = Math.max(0, Math.min(seconds, this.current.duration_ms / 1000));
    void this.tellPosition();
  }

  /** `auto`, or a quality_id to force; the session is told what the listener chose. */
  chooseQuality(mode: string): void {
    if (!this.current) return;
    const playing = this.player.variant ?? this.stateValue.sessionQuality;
    this.player.setQuality(mode);
    if (mode !== 'auto') this.reportQuality({ quality: mode, adaptive_enabled: false, reason: 'user' });
    else if (playing !== undefined) this.reportQuality({ quality: playing, adaptive_enabled: true, reason: 'user' });
  }

  /** Sends any command on the open connection. */
  send(command: CommandInput): Promise<CommandResponse> {
    if (!this.client) return Promise.reject(new RealtimeClientError('E_NOT_CONNECTED', `cannot send ${command.command}: not started`));
    // `<Command>-…` ids: the answer says which command it answers (the events panel reads it).
    return this.client.send({ ...command, command_id: command.command_id ?? `${command.command}-${this.idPrefix}-${++this.commandCount}` } as CommandInput);
  }

  /** What the server holds for this connection (GetStatus); null when nothing. */
  async serverPlayback(): Promise<ServerPlayback | null> {
    const response = await this.send({ command: 'GetStatus' });
    return (response.data as { connection: { playback: ServerPlayback | null } }).connection.playback;
  }

  private update(partial: Partial<SyncState>): void {
    this.stateValue = { ...this.stateValue, ...partial };
    this.emit('change', this.stateValue);
  }

  private createSession(track: CatalogEntry, mode: string): Promise<CreatedSession> {
    return this.options.api.createSession({ trackId: track.id, clientId: this.options.userId, userId: this.options.userId, capabilities: this.options.capabilities(mode) });
  }

  /** A session no one will use (a later choice overtook it): ended rather than left to expire. */
  private drop(stale: CreatedSession): void {
    this.options.api.endSession(stale.session_id).catch(() => {});
  }

  /** The session's connection replaces the current one (which ends whatever the server held on it). */
  private useSession(next: CreatedSession): void {
    this.sessionBootId = undefined;
    this.options.api.health().then(
      (health) => {
        if (this.stateValue.session === next) this.sessionBootId = health.boot_id;
      },
      () => {},
    );
    this.update({ session: next, sessionQuality: next.initial_profile.quality_id, qualityChange: undefined });
    this.openConnection(next.session_id);
  }

  private openConnection(sessionId: string | undefined): void {
    void this.client?.close();
    this.announced = undefined;
    const client = this.options.connect(sessionId);
    this.client = client;
    let previous: ClientState = client.state;
    let announcedThisOpening = false;
    const ready = (reconnected: boolean) => {
      if (this.client !== client || client.state !== 'open' || announcedThisOpening) return;
      announcedThisOpening = true;
      this.announced = ++this.opened;
      void this.connectionReady(this.announced, reconnected);
    };
    client.onState((state) => {
      if (this.client !== client) return;
      if (state !== 'open') {
        this.announced = undefined;
        announcedThisOpening = false;
      }
      this.update({ connection: state });
      // After a reconnection the client sends its remembered Subscribes first, then this runs.
      if (state === 'open' && previous === 'reconnecting') ready(true);
      previous = state;
    });
    client.onAny((event) => {
      if (this.client !== client) return;
      const change = qualityChangeOf(event);
      if (change && change.session_id === this.stateValue.session?.session_id) this.update({ sessionQuality: change.to_quality, qualityChange: change });
      this.emit('event', event);
    });
    // The first time, the connection is announced once subscribed, so that the listener's own
    // PlaybackStarted (answer to the Play sent then) is delivered.
    const own: EventFilters = { user_id: this.options.userId };
    client
      .connect()
      .then(() => Promise.all([client.subscribe(OWN_EVENTS, own), client.subscribe(SHARED_EVENTS)]))
      .then(
        () => ready(false),
        () => ready(false),
      );
  }

  /**
   * A connection is ready, holding no playback. After a reconnection the server may have restarted
   * and lost the session (sessions live in its memory): then a new session is made (and its own
   * connection told the playback); else this connection is told where the listener is.
   */
  private async connectionReady(connection: number, reconnected: boolean): Promise<void> {
    if (reconnected && this.stateValue.session && (await this.serverRestarted())) {
      if (this.announced === connection && (await this.renewSession())) return;
    }
    if (this.announced !== connection) return;
    this.usable = connection;
    void this.sync();
  }

  private async serverRestarted(): Promise<boolean> {
    const known = this.sessionBootId;
    try {
      const health = await this.options.api.health();
      return known !== undefined && health.boot_id !== known;
    } catch {
      return false;
    }
  }

  /** A new session for the track playing, on the quality playing; true once its connection is being opened. */
  private renewSession(): Promise<boolean> {
    this.renewing ??= this.makeSessionAgain().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async makeSessionAgain(): Promise<boolean> {
    const track = this.current;
    const generation = this.selection;
    if (!track) return false;
    try {
      const next = await this.createSession(track, this.player.mode);
      if (generation !== this.selection || this.current !== track) {
        this.drop(next);
        return false;
      }
      this.useSession(next);
      const playing = this.player.variant;
      if (this.player.mode === 'auto' && playing && playing !== this.stateValue.sessionQuality) this.reportQuality({ quality: playing, reason: 'player' });
      return true;
    } catch {
      return false;
    }
  }

  /** A failed sessions API call: a session the server no longer knows is made again. */
  private sessionFailed(error: unknown, sessionId: string): void {
    if (error instanceof StreamingApiError && error.code === 'E_UNKNOWN_SESSION' && this.stateValue.session?.session_id === sessionId) void this.renewSession();
  }

  /** `PUT …/quality`, in order, one at a time; failures are not the listener's concern. */
  private reportQuality(report: QualityReport): void {
    const sessionId = this.stateValue.session?.session_id;
    if (sessionId === undefined) return;
    this.qualityQueue = this.qualityQueue.then(async () => {
      try {
        const answer = await this.options.api.reportQuality(sessionId, report);
        if (this.stateValue.session?.session_id === sessionId) this.update({ sessionQuality: answer.current_quality });
      } catch (error) {
        this.sessionFailed(error, sessionId);
      }
    });
  }

  private postMetrics(): void {
    const session = this.stateValue.session;
    if (!session || !this.current || this.media.paused) return;
    this.options.api.postMetrics(session.session_id, this.player.metrics()).catch((error) => this.sessionFailed(error, session.session_id));
  }

  /** Runs `task` after the commands already on their way, so that they reach the server in order. */
  private enqueue(task: () => Promise<unknown>): Promise<unknown> {
    this.queue = this.queue.then(task).catch(() => {});
    return this.queue;
  }

  private heldOn(connection: number | undefined): Held | undefined {
    return connection !== undefined && this.held?.connection === connection ? this.held : undefined;
  }

  private positionMs(): number {
    return Math.max(0, Math.min(Math.round(this.media.currentTime * 1000), this.current?.duration_ms ?? 0));
  }

  /** Tells the server what the element does, one command at a time, until the two agree. */
  private sync(): Promise<unknown> {
    return this.enqueue(async () => {
      for (let step = 0; step < 4 && (await this.syncStep()); step++);
    });
  }

  /** Sends the next command towards agreement; false when there is none to send, or none could be. */
  private async syncStep(): Promise<boolean> {
    const connection = this.announced;
    if (connection === undefined || connection !== this.usable || this.player.reloading) return false;
    const server = this.heldOn(connection);
    const want = this.current && this.listened && !this.media.ended ? { trackId: this.current.id, playing: !this.media.paused } : undefined;
    if (server && server.trackId !== want?.trackId) return this.tell(connection, { command: 'Stop', track_id: server.trackId }, undefined);
    if (!want || server?.playing === want.playing) return false;
    // A Play starts the track (where the audio is, also on a new connection) or resumes it; a paused
    // track the server does not hold is started, then paused.
    if (want.playing || !server) {
      this.lastProgressAt = Date.now();
      return this.tell(connection, { command: 'Play', track_id: want.trackId, start_position_ms: this.positionMs() }, { trackId: want.trackId, playing: true });
    }
    return this.tell(connection, { command: 'Pause', track_id: want.trackId }, { trackId: want.trackId, playing: false });
  }

  /** Sends a playback command; true when the server holds a state this client knows (`after`, or what it said). */
  private async tell(connection: number, command: CommandInput, after: Omit<Held, 'connection'> | undefined): Promise<boolean> {
    try {
      await this.send(command);
      this.held = after && { connection, ...after };
      return true;
    } catch (error) {
      if (!(error instanceof RealtimeClientError) || error.code !== 'E_COMMAND_FAILED') return false; // dropped: the next connection is told from scratch
      // The server holds another state than this client thought: ask it which.
      if (error.serverCode === 'E_PLAYBACK') return this.learn(connection);
      this.update({ error: `${command.command}: ${error.message}` });
      return false;
    }
  }

  private async learn(connection: number): Promise<boolean> {
    try {
      const status = await this.serverPlayback();
      this.held = status ? { connection, trackId: status.track_id, playing: status.state === 'playing' } : undefined;
      return true;
    } catch {
      return false;
    }
  }

  /** A Seek (also the periodic progress), only for a track the server holds. */
  private tellPosition(): Promise<unknown> {
    return this.enqueue(async () => {
      const connection = this.announced;
      const server = this.heldOn(connection);
      if (connection === undefined || connection !== this.usable || this.player.reloading || !this.current || server?.trackId !== this.current.id) return;
      await this.tell(connection, { command: 'Seek', track_id: this.current.id, position_ms: this.positionMs() }, server);
    });
  }
}
