import { type CatalogEntry, describeEvent, Playback, PlaybackSync, RealtimeClient, type ServerEvent, StreamingClient, type SyncState } from '../../src/client/index.js';
import { LoudnessGain } from './loudness-gain.js';
import { Waveform } from './waveform.js';

/** Events kept in the events panel. */
const MAX_EVENTS = 50;
/** How often the stream panel is drawn again (buffer health moves without an event). */
const RENDER_INTERVAL_MS = 1000;
/** The seek step of ← and →. */
const KEY_SEEK_SEC = 5;
const LAST_TRACK_KEY = 'hlsaudioLastTrack';
const USER_KEY = 'hlsaudioUser';

export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '0:00';
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

function element<T extends HTMLElement>(root: Document, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`The page has no ${selector}`);
  return found;
}

/**
 * The player page: catalog, controls, panels, on hlsaudio/client's classes. PlaybackSync keeps the
 * server in step; this class only renders and turns the listener's input into calls.
 */
export class PlayerPage {
  readonly playback: Playback;
  readonly sync: PlaybackSync;
  private readonly api = new StreamingClient();
  private readonly audio: HTMLAudioElement;
  private readonly waveform: Waveform;
  private readonly loudness: LoudnessGain;
  private catalog: CatalogEntry[] = [];
  private readonly userId: string;
  /** The page's own trouble (the catalog), shown when PlaybackSync has none to show. */
  private pageError = '';

  constructor(private readonly document: Document, location: Location, private readonly storage: Storage) {
    const params = new URLSearchParams(location.search);
    this.audio = element<HTMLAudioElement>(document, '#audio');
    this.userId = params.get('user_id') ?? storage.getItem(USER_KEY) ?? `listener-${Math.random().toString(36).slice(2, 8)}`;
    storage.setItem(USER_KEY, this.userId);
    // ?buffer=<seconds>: how far ahead to buffer (less memory on small devices; the browser tests use it).
    const bufferSec = Number(params.get('buffer')) || undefined;
    this.playback = new Playback(this.audio, bufferSec ? { bufferSec } : {});
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
    const token = params.get('token') ?? undefined;
    this.sync = new PlaybackSync({
      player: this.playback,
      api: this.api,
      userId: this.userId,
      connect: (sessionId) => new RealtimeClient({ url, userId: this.userId, token, sessionId }),
    });
    this.waveform = new Waveform(element(document, '#waveform'));
    this.loudness = new LoudnessGain(this.audio);
  }

  start(): void {
    this.sync.on('change', (state) => this.renderSync(state));
    this.sync.on('event', (event) => this.showEvent(event));
    this.playback.on('change', () => this.renderStream());
    this.sync.start();
    this.bindControls();
    setInterval(() => this.renderStream(), RENDER_INTERVAL_MS);
    this.loadCatalog().catch((error: Error) => {
      this.pageError = `Catalog: ${error.message}`;
      this.showError(this.pageError);
    });
  }

  /** Chooses a track (its id), the page's and the tests' way in. */
  selectTrack(id: string): Promise<void> {
    const track = this.catalog.find((entry) => entry.id === id);
    return track ? this.choose(track) : Promise.resolve();
  }

  /** The amplitude factor loudness normalisation applies now (1 when off). */
  get loudnessFactor(): number {
    return this.loudness.factor;
  }

  seekTo(seconds: number): void {
    this.sync.seek(seconds);
  }

  private field(name: string): HTMLElement {
    return element(this.document, `[data-field="${name}"]`);
  }

  private showError(message: string): void {
    const box = element(this.document, '#error');
    box.textContent = message;
    box.hidden = !message;
  }

  private async loadCatalog(): Promise<void> {
    this.catalog = await this.api.catalog();
    element(this.document, '#catalog-empty').hidden = this.catalog.length > 0;
    element(this.document, '#catalog').replaceChildren(
      ...this.catalog.map((track) => {
        const item = this.document.createElement('li');
        const button = this.document.createElement('button');
        button.type = 'button';
        button.dataset.track = track.id;
        const title = this.document.createElement('span');
        title.className = 'title';
        title.textContent = track.title;
        const meta = this.document.createElement('span');
        meta.className = 'meta';
        meta.textContent = `${track.artist ?? 'Unknown artist'} · ${formatTime(track.duration_ms / 1000)}`;
        button.append(title, meta);
        button.addEventListener('click', () => void this.choose(track));
        item.append(button);
        return item;
      }),
    );
    // Play with no track chosen starts the last one played, or the first.
    element<HTMLButtonElement>(this.document, '#play').disabled = this.catalog.length === 0;
  }

  private async choose(track: CatalogEntry): Promise<void> {
    for (const button of this.document.querySelectorAll<HTMLButtonElement>('#catalog button')) button.setAttribute('aria-current', String(button.dataset.track === track.id));
    this.field('title').textContent = track.title;
    this.field('artist').textContent = track.artist ?? '';
    this.storage.setItem(LAST_TRACK_KEY, track.id);
    const familyOf = (id: string) => track.masters.find((master) => master.profiles.includes(id))?.codec_family.toUpperCase();
    const select = element<HTMLSelectElement>(this.document, '#quality');
    select.replaceChildren(new Option('Auto (AAC ladder)', 'auto'), ...track.profiles.map((id) => new Option(`${id} (${familyOf(id)})`, id)));
    select.disabled = false;
    const seek = element<HTMLInputElement>(this.document, '#seek');
    seek.disabled = false;
    seek.max = String(track.duration_ms / 1000);
    this.renderTime();
    const gain = this.loudness.setTrack(track);
    this.field('gain').textContent = gain === undefined ? 'no loudness figures' : `${gain >= 0 ? '+' : ''}${gain.toFixed(1)} dB`;
    this.waveform.show(undefined);
    await this.sync.load(track);
    // Once the track is the one loaded (a later choice may have overtaken it), its waveform if it has one.
    if (this.sync.loadedTrack !== track) return;
    const peaks = await this.api.peaks(track.id).catch(() => undefined);
    if (this.sync.loadedTrack === track) this.waveform.show(peaks);
    this.renderTime();
  }

  private togglePlay(): void {
    if (!this.sync.loadedTrack) {
      const { track: chosen, error } = this.sync.state;
      if (chosen && !error) return; // on its way
      const last = this.storage.getItem(LAST_TRACK_KEY);
      const track = chosen ?? this.catalog.find((entry) => entry.id === last) ?? this.catalog[0];
      if (track) void this.choose(track);
      return;
    }
    if (this.playback.wantsPlaying) this.sync.pause();
    else void this.sync.play();
  }

  private chooseQuality(mode: string): void {
    this.sync.chooseQuality(mode);
    this.renderStream();
  }

  private bindControls(): void {
    const audio = this.audio;
    const play = element<HTMLButtonElement>(this.document, '#play');
    const renderPlayButton = () => (play.textContent = this.playback.wantsPlaying ? 'Pause' : 'Play');
    audio.addEventListener('play', renderPlayButton);
    audio.addEventListener('pause', renderPlayButton);
    this.playback.on('reloaded', renderPlayButton);
    audio.addEventListener('timeupdate', () => this.renderTime());
    play.addEventListener('click', () => this.togglePlay());
    element<HTMLInputElement>(this.document, '#seek').addEventListener('change', (event) => this.seekTo(Number((event.target as HTMLInputElement).value)));
    element<HTMLSelectElement>(this.document, '#quality').addEventListener('change', (event) => this.chooseQuality((event.target as HTMLSelectElement).value));
    element<HTMLInputElement>(this.document, '#normalise').addEventListener('change', (event) => this.loudness.setEnabled((event.target as HTMLInputElement).checked));
    element<HTMLInputElement>(this.document, '#raw-events').addEventListener('change', (event) => {
      element(this.document, '.events').classList.toggle('raw', (event.target as HTMLInputElement).checked);
    });
    this.document.addEventListener('keydown', (event) => {
      const target = event.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
      if (event.key === ' ' && !(target instanceof HTMLButtonElement)) {
        event.preventDefault();
        this.togglePlay();
      }
      if (!this.sync.loadedTrack) return;
      if (event.key === 'ArrowRight') this.seekTo(audio.currentTime + KEY_SEEK_SEC);
      else if (event.key === 'ArrowLeft') this.seekTo(audio.currentTime - KEY_SEEK_SEC);
      else if (event.key === 'q' || event.key === 'Q') {
        const select = element<HTMLSelectElement>(this.document, '#quality');
        select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
        this.chooseQuality(select.value);
      }
    });
  }

  private renderSync(state: SyncState): void {
    this.field('ws').textContent = state.connection;
    this.field('session').textContent = state.session ? `${state.session.session_id.slice(0, 8)}… started on ${state.session.initial_profile.quality_id}` : '–';
    if (state.qualityChange) {
      const change = state.qualityChange;
      this.field('recommendation').textContent = `switch ${change.from_quality} → ${change.to_quality} (${change.reason})`;
    }
    this.showError(state.error || this.pageError);
  }

  private renderTime(): void {
    const duration = this.sync.state.track ? this.sync.state.track.duration_ms / 1000 : 0;
    const time = this.audio.currentTime;
    const seek = element<HTMLInputElement>(this.document, '#seek');
    seek.value = String(time);
    seek.setAttribute('aria-valuetext', `${formatTime(time)} of ${formatTime(duration)}`);
    element(this.document, '#time').textContent = `${formatTime(time)} / ${formatTime(duration)}`;
    this.waveform.draw(duration > 0 ? time / duration : 0);
  }

  private renderStream(): void {
    const s = this.playback.snapshot();
    this.field('variant').textContent = s.variant ? `${s.variant}${s.mode === 'auto' ? ' (auto)' : ''}` : '–';
    this.field('bitrate').textContent = s.bitrate ? `${Math.round(s.bitrate / 1000)} kbps` : '–';
    this.field('bandwidth').textContent = s.bandwidthEstimate ? `${Math.round(s.bandwidthEstimate / 1000)} kbps` : '–';
    this.field('buffer').textContent = `${s.bufferHealth}%`;
    element<HTMLMeterElement>(this.document, '#buffer').value = s.bufferHealth;
    this.field('switches').textContent = String(s.switches);
    this.field('rebuffers').textContent = `${s.rebuffers}${s.rebufferMs ? ` (${(s.rebufferMs / 1000).toFixed(1)} s)` : ''}`;
  }

  private showEvent(event: ServerEvent): void {
    if (event.event === 'LiveStats') return this.showLiveStats(event);
    const item = this.document.createElement('li');
    item.dataset.event = event.event;
    const line = this.document.createElement('span');
    line.className = 'line';
    line.textContent = `${new Date().toLocaleTimeString()} ${describeEvent(event)}`;
    const raw = this.document.createElement('code');
    raw.className = 'raw-json';
    raw.textContent = JSON.stringify(event);
    item.append(line, raw);
    const list = element(this.document, '#events');
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) list.lastElementChild!.remove();
  }

  private showLiveStats(stats: Extract<ServerEvent, { event: 'LiveStats' }>): void {
    this.field('listeners').textContent = String(stats.concurrent_listeners);
    this.field('load').textContent = `${Math.round(stats.server_load * 100)}%`;
    element(this.document, '#top-tracks').replaceChildren(
      ...stats.top_tracks.map((track) => {
        const item = this.document.createElement('li');
        item.textContent = `${track.title}${track.artist ? ` — ${track.artist}` : ''} (${track.current_listeners})`;
        return item;
      }),
    );
  }
}
