// Playback of one track with hls.js: the session's master first, "auto" adaptation inside the AAC
// ladder, forced variants, and switches across codec families. hls.js cannot switch codecs inside one
// MediaSource (AAC to MP3 fails with bufferAppendingError and falls back), so a switch to another
// family reloads that family's master at the current position.
import Hls from '/vendor/hls.min.mjs';

/** How often PerformanceMetrics are computed for the server (the page posts them). */
export const METRICS_INTERVAL_MS = 5000;

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
    this.mode = 'auto'; // 'auto' or a quality_id
    this.playing = undefined; // quality_id of the fragment being played
    this.switches = 0;
    this.rebuffers = 0;
    this.rebufferMs = 0;
    this.rebufferSince = undefined;
    this.latencyMs = 0;
    this.started = false;
    audio.addEventListener('waiting', () => {
      if (this.started && !audio.seeking && this.rebufferSince === undefined) this.rebufferSince = performance.now();
    });
    audio.addEventListener('playing', () => {
      this.started = true;
      if (this.rebufferSince !== undefined) {
        this.rebuffers++;
        this.rebufferMs += performance.now() - this.rebufferSince;
        this.rebufferSince = undefined;
      }
      this.emit();
    });
  }

  /** The catalog entry's masters tell which master holds which profile. */
  masterFor(qualityId) {
    return this.track.masters.find((master) => master.profiles.includes(qualityId));
  }

  /**
   * Loads a track: the server's session master (`master.m3u8?session=ID`) lists the session's chosen
   * profile first, so hls.js starts there.
   */
  load(track, session) {
    this.track = track;
    this.sessionId = session.session_id;
    this.mode = 'auto';
    this.switches = 0;
    this.rebuffers = 0;
    this.rebufferMs = 0;
    this.started = false;
    const master = this.masterFor(session.initial_profile.quality_id) ?? track.masters[0];
    this.attach(`/hls/${encodeURIComponent(track.id)}/master.m3u8?session=${encodeURIComponent(session.session_id)}`, master.codec_family, 0, undefined);
  }

  /** `auto`, or a quality_id to force. */
  setQuality(mode) {
    this.mode = mode;
    const position = this.audio.currentTime;
    const wanted = mode === 'auto' ? this.track.masters[0] : this.masterFor(mode);
    if (!wanted) return;
    if (wanted.codec_family !== this.family) {
      this.switches++;
      this.attach(`/hls/${encodeURIComponent(this.track.id)}/${wanted.file}`, wanted.codec_family, position, mode === 'auto' ? undefined : mode);
      return;
    }
    if (mode === 'auto') this.hls.currentLevel = -1;
    else this.hls.currentLevel = this.levelOf(mode);
    this.emit();
  }

  levelOf(qualityId) {
    return this.hls.levels.findIndex((level) => qualityOfUrl(level.url) === qualityId);
  }

  attach(url, family, startPosition, forced) {
    const resume = !this.audio.paused || this.started;
    this.hls?.destroy();
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
      if (resume) this.audio.play().catch(() => {});
      this.emit();
    });
    hls.on(Hls.Events.FRAG_CHANGED, (_, { frag }) => {
      const quality = qualityOfUrl(hls.levels[frag.level]?.url);
      if (this.playing && quality !== this.playing) this.switches++;
      this.playing = quality;
      this.emit();
    });
    hls.on(Hls.Events.FRAG_LOADED, (_, { frag }) => {
      const { loading } = frag.stats;
      if (loading.first > 0) this.latencyMs = Math.round(loading.first - loading.start);
      this.emit();
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) this.dispatchEvent(new CustomEvent('error', { detail: `${data.type}: ${data.details}` }));
    });
    hls.loadSource(url);
    hls.attachMedia(this.audio);
  }

  /** Seconds buffered ahead of the play head. */
  bufferedAhead() {
    const { buffered, currentTime } = this.audio;
    for (let i = 0; i < buffered.length; i++) {
      if (buffered.start(i) <= currentTime + 0.1 && currentTime <= buffered.end(i)) return buffered.end(i) - currentTime;
    }
    return 0;
  }

  /** What the panels show, and what the page reports as PerformanceMetrics. */
  snapshot() {
    const hls = this.hls;
    const level = hls && this.playing ? hls.levels[this.levelOf(this.playing)] : undefined;
    const target = hls?.config.maxBufferLength ?? 30;
    return {
      variant: this.playing,
      family: this.family,
      mode: this.mode,
      bitrate: level?.bitrate,
      bandwidthEstimate: hls?.bandwidthEstimate,
      bufferHealth: Math.min(100, Math.round((this.bufferedAhead() / target) * 100)),
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
