// Playback of one track with hls.js: the session's master first, "auto" adaptation inside the AAC
// ladder, forced variants, and switches across codec families. hls.js cannot switch codecs inside one
// MediaSource (AAC to MP3 fails with bufferAppendingError and falls back), so a switch to another
// family reloads that family's master at the current position.
import Hls from '/vendor/hls.min.mjs';

/** How often PerformanceMetrics are computed for the server (the page posts them). */
export const METRICS_INTERVAL_MS = 5000;
/** Fatal network errors: hls.startLoad() again after 1, 2 and 4 s, then give up. */
const NETWORK_RETRY_DELAYS_MS = [1000, 2000, 4000];
/** Media recoveries (recoverMediaError, then swapAudioCodec + recoverMediaError) counted within this window. */
const MEDIA_RECOVERY_WINDOW_MS = 10_000;

/**
 * Events: `change` (something the panels show), `variant` (detail: the quality_id now playing, when
 * it changed), `reloaded` (a load, a cross-family switch or a media error's recovery is over: detail
 * `{ blocked }`, the error of a refused play()), `error` (detail: a fatal hls.js error that recovery
 * could not fix).
 */
export class Playback extends EventTarget {
  /**
   * @param {HTMLAudioElement} audio
   * @param {{ bufferSec?: number }} options  seconds hls.js buffers ahead (its default, 30, when absent)
   */
  constructor(audio, options = {}) {
    super();
    this.audio = audio;
    this.bufferSec = options.bufferSec;
    this.hls = undefined;
    this.track = undefined;
    this.sessionId = undefined;
    this.family = undefined; // codec family of the loaded master
    this.resetCounters();
    // From attach() until the new source plays (or is left paused): the audio element's play,
    // pause and waiting events in between are the page's own doing, not the listener's nor a stall.
    this.reloading = false;
    this.resumeAfterReload = false;
    this.reloadPosition = 0;
    this.reloadToken = 0;
    this.recovery = { network: 0, media: 0, mediaAt: 0, timer: undefined };
    audio.addEventListener('waiting', () => {
      if (this.started && !this.reloading && !audio.seeking && this.rebufferSince === undefined) this.rebufferSince = performance.now();
    });
    audio.addEventListener('playing', () => {
      this.started = true;
      this.endRebuffer();
      this.emit();
    });
  }

  /** What the listener wants, also while a reload has the element paused for a moment. */
  get wantsPlaying() {
    return this.reloading ? this.resumeAfterReload : !this.audio.paused;
  }

  /** Where playback is; during a reload, where the new source starts (the element is reset meanwhile). */
  position() {
    return this.reloading ? this.reloadPosition : this.audio.currentTime;
  }

  play() {
    if (!this.reloading) return this.audio.play();
    this.resumeAfterReload = true;
    return Promise.resolve();
  }

  pause() {
    if (this.reloading) this.resumeAfterReload = false;
    this.audio.pause();
  }

  /** What a track starts with: Auto, nothing played yet, every counter at zero. */
  resetCounters() {
    this.mode = 'auto'; // 'auto' or a quality_id
    this.playing = undefined; // quality_id of the fragment being played
    this.switches = 0;
    this.rebuffers = 0;
    this.rebufferMs = 0;
    this.rebufferSince = undefined;
    this.latencyMs = 0;
    this.started = false;
  }

  /** The catalog entry's masters tell which master holds which profile. */
  masterFor(qualityId) {
    return this.track.masters.find((master) => master.profiles.includes(qualityId));
  }

  /**
   * Loads a track and plays it: the server's session master (`master.m3u8?session=ID`) lists the
   * session's chosen profile first, so hls.js starts there. Counters start again from zero.
   */
  load(track, session) {
    this.track = track;
    this.sessionId = session.session_id;
    this.resetCounters();
    const master = this.masterFor(session.initial_profile.quality_id) ?? track.masters[0];
    this.attach(`/hls/${encodeURIComponent(track.id)}/master.m3u8?session=${encodeURIComponent(session.session_id)}`, master.codec_family, 0, undefined, true);
  }

  /** `auto`, or a quality_id to force. A switch is counted when the new variant's first fragment plays. */
  setQuality(mode) {
    this.mode = mode;
    const wanted = mode === 'auto' ? this.track.masters[0] : this.masterFor(mode);
    if (!wanted) return;
    if (wanted.codec_family !== this.family) {
      // Resume only if the listener was playing when the switch was asked for.
      this.attach(`/hls/${encodeURIComponent(this.track.id)}/${wanted.file}`, wanted.codec_family, this.position(), mode === 'auto' ? undefined : mode, this.wantsPlaying);
      return;
    }
    if (mode === 'auto') this.hls.currentLevel = -1;
    else this.hls.currentLevel = this.levelOf(mode);
    this.emit();
  }

  levelOf(qualityId) {
    return this.hls.levels.findIndex((level) => qualityOfUrl(level.url) === qualityId);
  }

  attach(url, family, startPosition, forced, resume) {
    // A stall under way when the source is replaced was real up to now; the reload gap that follows is not.
    this.endRebuffer();
    this.reloading = true;
    this.resumeAfterReload = resume;
    this.reloadPosition = startPosition;
    this.hls?.destroy();
    this.resetRecovery();
    this.family = family;
    const buffer = this.bufferSec ? { maxBufferLength: this.bufferSec, maxMaxBufferLength: 2 * this.bufferSec } : {};
    const hls = new Hls({ startPosition, enableWorker: true, ...buffer });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (forced) {
        const level = this.levelOf(forced);
        hls.startLevel = level;
        hls.currentLevel = level;
      }
      this.finishReload(hls);
      this.emit();
    });
    hls.on(Hls.Events.FRAG_CHANGED, (_, { frag }) => {
      const quality = qualityOfUrl(hls.levels[frag.level]?.url);
      if (quality === this.playing) return;
      if (this.playing) this.switches++;
      this.playing = quality;
      this.dispatchEvent(new CustomEvent('variant', { detail: quality }));
      this.emit();
    });
    hls.on(Hls.Events.FRAG_LOADED, (_, { frag }) => {
      this.recovery.network = 0;
      const { loading } = frag.stats;
      if (loading.first > 0) this.latencyMs = Math.round(loading.first - loading.start);
      this.emit();
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal && this.hls === hls) this.recover(hls, url, data);
    });
    hls.loadSource(url);
    hls.attachMedia(this.audio);
  }

  /** Ends a reload: plays again if it was playing (play() settles once playback is under way, or refused). */
  finishReload(hls) {
    const token = ++this.reloadToken;
    const done = (blocked) => {
      if (this.hls !== hls || this.reloadToken !== token || !this.reloading) return;
      this.endReload(blocked);
    };
    if (!this.resumeAfterReload) return done(undefined);
    this.audio.play().then(
      () => done(undefined),
      // AbortError: pause() or another load came first; that is not a refusal.
      (error) => done(error.name === 'NotAllowedError' ? error : undefined),
    );
  }

  /**
   * A fatal hls.js error (hls.js has stopped loading): a network error loads again after a backoff, a
   * media error resets the MediaSource (the second time with the other AAC object type); only an error
   * that this does not fix is reported.
   */
  recover(hls, url, data) {
    const recovery = this.recovery;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && recovery.network < NETWORK_RETRY_DELAYS_MS.length) {
      clearTimeout(recovery.timer);
      recovery.timer = setTimeout(() => {
        if (this.hls !== hls) return;
        // Without a parsed master there is nothing for startLoad() to load: ask for the master again.
        if (hls.levels.length === 0) hls.loadSource(url);
        else hls.startLoad(this.position());
      }, NETWORK_RETRY_DELAYS_MS[recovery.network++]);
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      const now = performance.now();
      if (now - recovery.mediaAt > MEDIA_RECOVERY_WINDOW_MS) recovery.media = 0;
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
    this.dispatchEvent(new CustomEvent('error', { detail: `${data.type}: ${data.details}${attempts ? ` (still failing after ${attempts} recovery attempts)` : ''}` }));
  }

  endReload(blocked) {
    this.reloading = false;
    this.dispatchEvent(new CustomEvent('reloaded', { detail: { blocked } }));
  }

  resetRecovery() {
    clearTimeout(this.recovery.timer);
    this.recovery = { network: 0, media: 0, mediaAt: 0, timer: undefined };
  }

  endRebuffer() {
    if (this.rebufferSince === undefined) return;
    this.rebuffers++;
    this.rebufferMs += performance.now() - this.rebufferSince;
    this.rebufferSince = undefined;
  }

  /** Seconds buffered ahead of the play head, and whether that buffered range runs to the end of the track. */
  bufferedAhead() {
    const { buffered, currentTime } = this.audio;
    for (let i = 0; i < buffered.length; i++) {
      if (buffered.start(i) <= currentTime + 0.1 && currentTime <= buffered.end(i)) {
        return { seconds: buffered.end(i) - currentTime, toEnd: i === buffered.length - 1 && Boolean(this.hls?.bufferedToEnd) };
      }
    }
    return { seconds: 0, toEnd: false };
  }

  /** What the panels show, and what the page reports as PerformanceMetrics. */
  snapshot() {
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
  metrics() {
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

  emit() {
    this.dispatchEvent(new Event('change'));
  }
}

/** `…/hls/<track>/<quality>/playlist.m3u8` → `<quality>`. */
export function qualityOfUrl(url) {
  if (!url) return undefined;
  const parts = new URL(url, location.href).pathname.split('/');
  return decodeURIComponent(parts.at(-2) ?? '');
}
