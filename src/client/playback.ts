import Hls, { type ErrorData } from 'hls.js';
import type { ClientCatalogEntry as CatalogEntry, ClientMasterInfo as MasterInfo } from './catalog.js';
import type { PerformanceMetrics } from '../streaming/types.js';
import { clientDefaults } from './defaults.js';
import { Emitter } from './emitter.js';
import type { PlayerEvents, PlayerLike } from './playback-sync.js';
import type { CreatedSession } from './streaming-client.js';

export interface PlaybackOptions {
  /** Seconds hls.js buffers ahead (its default, 30, when absent): less memory on small devices. */
  bufferSec?: number;
  /** Where `serve` answers; '' (the default) for the page's own origin. */
  baseUrl?: string;
}

/** What the panels show, and what PerformanceMetrics are computed from. */
export interface PlaybackSnapshot {
  /** The quality_id of the fragment being played (not the level hls.js asked for). */
  variant: string | undefined;
  family: string | undefined;
  /** `auto` or the forced quality_id. */
  mode: string;
  /** Bits per second of the variant playing, as its master declares. */
  bitrate: number | undefined;
  /** hls.js's bandwidth estimate, bits per second. */
  bandwidthEstimate: number | undefined;
  /** Buffered ahead over hls.js's maxBufferLength, 0 to 100; 100 once everything up to the end is buffered. */
  bufferHealth: number;
  switches: number;
  rebuffers: number;
  rebufferMs: number;
  latencyMs: number;
}

/**
 * hls.js on an audio element. Auto adapts within the first master's codec family (hls.js cannot
 * switch codecs inside one MediaSource); a forced variant of the other family reloads that
 * family's master at the current position. A fatal error is recovered (network: load again after
 * backoff; media: reset the MediaSource, the second time with the other AAC object type); only one
 * that this does not fix is reported (`error`).
 */
export class Playback extends Emitter<PlayerEvents> implements PlayerLike {
  hls: Hls | undefined;
  track: CatalogEntry | undefined;
  mode = 'auto';
  /** From attach() until the new source plays (or is left paused): the element's play, pause and waiting events are this class's own doing. */
  reloading = false;
  private family: string | undefined;
  private playing: string | undefined;
  private switches = 0;
  private rebuffers = 0;
  private rebufferMs = 0;
  private rebufferSince: number | undefined;
  private latencyMs = 0;
  private started = false;
  private resumeAfterReload = false;
  private reloadPosition = 0;
  private reloadToken = 0;
  private recovery = { network: 0, media: 0, mediaAt: 0, timer: undefined as ReturnType<typeof setTimeout> | undefined };
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly media: HTMLMediaElement,
    private readonly options: PlaybackOptions = {},
  ) {
    super();
    const onWaiting = () => {
      if (this.started && !this.reloading && !media.seeking && this.rebufferSince === undefined) this.rebufferSince = performance.now();
    };
    const onPlaying = () => {
      this.started = true;
      this.endRebuffer();
      this.emit('change');
    };
    media.addEventListener('waiting', onWaiting);
    media.addEventListener('playing', onPlaying);
    this.cleanups.push(() => media.removeEventListener('waiting', onWaiting), () => media.removeEventListener('playing', onPlaying));
  }

  /** The quality_id being played. */
  get variant(): string | undefined {
    return this.playing;
  }

  /** What the listener wants, also while a reload has the element paused for a moment. */
  get wantsPlaying(): boolean {
    return this.reloading ? this.resumeAfterReload : !this.media.paused;
  }

  /** Where playback is; during a reload, where the new source starts. */
  position(): number {
    return this.reloading ? this.reloadPosition : this.media.currentTime;
  }

  play(): Promise<void> {
    if (!this.reloading) return this.media.play();
    this.resumeAfterReload = true;
    return Promise.resolve();
  }

  pause(): void {
    if (this.reloading) this.resumeAfterReload = false;
    this.media.pause();
  }

  /** Stops loading and lets go of the element. */
  destroy(): void {
    clearTimeout(this.recovery.timer);
    this.hls?.destroy();
    this.hls = undefined;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /**
   * Loads a track and plays it: the session's master (`master.m3u8?session=ID`) lists the session's
   * chosen profile first, so hls.js starts there. Counters start again from zero.
   */
  load(track: CatalogEntry, session: CreatedSession): void {
    this.track = track;
    this.resetCounters();
    const master = this.masterFor(session.initial_profile.quality_id) ?? track.masters[0];
    this.attach(this.url(`/hls/${encodeURIComponent(track.id)}/master.m3u8?session=${encodeURIComponent(session.session_id)}`), master?.codec_family, 0, undefined, true);
  }

  /** `auto`, or a quality_id to force. A switch is counted when the new variant's first fragment plays. */
  setQuality(mode: string): void {
    const track = this.track;
    if (!track) return;
    this.mode = mode;
    const wanted = mode === 'auto' ? track.masters[0] : this.masterFor(mode);
    if (!wanted) return;
    if (wanted.codec_family !== this.family || !this.hls) {
      // Resume only if the listener was playing when the switch was asked for.
      this.attach(this.url(`/hls/${encodeURIComponent(track.id)}/${wanted.file}`), wanted.codec_family, this.position(), mode === 'auto' ? undefined : mode, this.wantsPlaying);
      return;
    }
    this.hls.currentLevel = mode === 'auto' ? -1 : this.levelOf(mode);
    this.emit('change');
  }

  snapshot(): PlaybackSnapshot {
    const hls = this.hls;
    const level = hls && this.playing ? hls.levels[this.levelOf(this.playing)] : undefined;
    const target = hls?.config.maxBufferLength ?? 30;
    const ahead = this.bufferedAhead();
    return {
      variant: this.playing,
      family: this.family,
      mode: this.mode,
      bitrate: level?.bitrate,
      bandwidthEstimate: hls?.bandwidthEstimate,
      // Everything up to the end of the track is in the buffer: nothing more could be there.
      bufferHealth: ahead.toEnd ? 100 : Math.min(100, Math.round((ahead.seconds / target) * 100)),
      switches: this.switches,
      rebuffers: this.rebuffers,
      rebufferMs: Math.round(this.rebufferMs),
      latencyMs: this.latencyMs,
    };
  }

  /** PerformanceMetrics as the spec names them. Packet loss is not visible to a page: 0. */
  metrics(): PerformanceMetrics {
    const s = this.snapshot();
    return {
      buffer_health_percentage: s.bufferHealth,
      download_speed_kbps: Math.round((s.bandwidthEstimate ?? 0) / 1000),
      packet_loss_percentage: 0,
      latency_ms: s.latencyMs,
      rebuffer_count: s.rebuffers,
      rebuffer_duration_ms: s.rebufferMs,
      quality_switches: s.switches,
    };
  }

  private url(path: string): string {
    return `${(this.options.baseUrl ?? '').replace(/\/+$/, '')}${path}`;
  }

  private resetCounters(): void {
    this.mode = 'auto';
    this.playing = undefined;
    this.switches = 0;
    this.rebuffers = 0;
    this.rebufferMs = 0;
    this.rebufferSince = undefined;
    this.latencyMs = 0;
    this.started = false;
  }

  /** The catalog entry's masters tell which master holds which profile. */
  private masterFor(qualityId: string): MasterInfo | undefined {
    return this.track?.masters.find((master) => master.profiles.includes(qualityId));
  }

  private levelOf(qualityId: string): number {
    return this.hls?.levels.findIndex((level) => qualityOfUrl(level.uri) === qualityId) ?? -1;
  }

  private attach(url: string, family: string | undefined, startPosition: number, forced: string | undefined, resume: boolean): void {
    // A stall under way when the source is replaced was real up to now; the reload gap that follows is not.
    this.endRebuffer();
    this.reloading = true;
    this.resumeAfterReload = resume;
    this.reloadPosition = startPosition;
    this.hls?.destroy();
    this.resetRecovery();
    this.family = family;
    const bufferSec = this.options.bufferSec;
    const buffer = bufferSec ? { maxBufferLength: bufferSec, maxMaxBufferLength: 2 * bufferSec } : {};
    const hls = new Hls({ startPosition, enableWorker: true, ...buffer });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (forced) {
        const level = this.levelOf(forced);
        hls.startLevel = level;
        hls.currentLevel = level;
      }
      this.finishReload(hls);
      this.emit('change');
    });
    hls.on(Hls.Events.FRAG_CHANGED, (_, { frag }) => {
      const quality = qualityOfUrl(hls.levels[frag.level]?.uri);
      if (quality === undefined || quality === this.playing) return;
      if (this.playing) this.switches++;
      this.playing = quality;
      this.emit('variant', quality);
      this.emit('change');
    });
    hls.on(Hls.Events.FRAG_LOADED, (_, { frag }) => {
      this.recovery.network = 0;
      const { loading } = frag.stats;
      if (loading.first > 0) this.latencyMs = Math.round(loading.first - loading.start);
      this.emit('change');
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal && this.hls === hls) this.recover(hls, url, data);
    });
    hls.loadSource(url);
    hls.attachMedia(this.media);
  }

  /** Ends a reload: plays again if it was playing (play() settles once playback is under way, or refused). */
  private finishReload(hls: Hls): void {
    const token = ++this.reloadToken;
    const done = (blocked: Error | undefined) => {
      if (this.hls !== hls || this.reloadToken !== token || !this.reloading) return;
      this.endReload(blocked);
    };
    if (!this.resumeAfterReload) return done(undefined);
    this.media.play().then(
      () => done(undefined),
      // AbortError: pause() or another load came first; that is not a refusal.
      (error: Error) => done(error.name === 'NotAllowedError' ? error : undefined),
    );
  }

  /**
   * A fatal hls.js error (hls.js has stopped loading): a network error loads again after a backoff, a
   * media error resets the MediaSource (the second time with the other AAC object type); only an error
   * that this does not fix is reported.
   */
  private recover(hls: Hls, url: string, data: ErrorData): void {
    const recovery = this.recovery;
    const delays = clientDefaults.networkRetryDelaysMs;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && recovery.network < delays.length) {
      clearTimeout(recovery.timer);
      recovery.timer = setTimeout(() => {
        if (this.hls !== hls) return;
        // Without a parsed master there is nothing for startLoad() to load: ask for the master again.
        if (hls.levels.length === 0) hls.loadSource(url);
        else hls.startLoad(this.position());
      }, delays[recovery.network++]);
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      const now = performance.now();
      if (now - recovery.mediaAt > clientDefaults.mediaRecoveryWindowMs) recovery.media = 0;
      if (recovery.media < 2) {
        if (recovery.media++ === 1) hls.swapAudioCodec();
        recovery.mediaAt = now;
        const position = this.position();
        // A new MediaSource pauses the element, like a reload.
        this.endRebuffer();
        this.resumeAfterReload = this.wantsPlaying;
        this.reloadPosition = position;
        this.reloading = true;
        hls.recoverMediaError();
        // hls.js stopped loading on the fatal error, and recoverMediaError() restarts only a loader that runs.
        hls.startLoad(position);
        this.finishReload(hls);
        return;
      }
    }
    clearTimeout(recovery.timer);
    if (this.reloading) this.endReload(undefined);
    const attempts = data.type === Hls.ErrorTypes.NETWORK_ERROR ? recovery.network : data.type === Hls.ErrorTypes.MEDIA_ERROR ? recovery.media : 0;
    this.emit('error', `${data.type}: ${data.details}${attempts ? ` (still failing after ${attempts} recovery attempts)` : ''}`);
  }

  private endReload(blocked: Error | undefined): void {
    this.reloading = false;
    this.emit('reloaded', blocked);
  }

  private resetRecovery(): void {
    clearTimeout(this.recovery.timer);
    this.recovery = { network: 0, media: 0, mediaAt: 0, timer: undefined };
  }

  private endRebuffer(): void {
    if (this.rebufferSince === undefined) return;
    this.rebuffers++;
    this.rebufferMs += performance.now() - this.rebufferSince;
    this.rebufferSince = undefined;
  }

  /** Seconds buffered ahead of the play head, and whether that buffered range runs to the end of the track. */
  private bufferedAhead(): { seconds: number; toEnd: boolean } {
    const { buffered, currentTime } = this.media;
    for (let i = 0; i < buffered.length; i++) {
      if (buffered.start(i) <= currentTime + 0.1 && currentTime <= buffered.end(i)) {
        return { seconds: buffered.end(i) - currentTime, toEnd: i === buffered.length - 1 && Boolean(this.hls?.bufferedToEnd) };
      }
    }
    return { seconds: 0, toEnd: false };
  }
}

/** `…/hls/<track>/<quality>/playlist.m3u8` → `<quality>` (the playlist's folder, whatever the media files are named). */
export function qualityOfUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const parts = new URL(url, 'http://localhost/').pathname.split('/');
  return parts.length >= 2 ? decodeURIComponent(parts.at(-2)!) : undefined;
}
