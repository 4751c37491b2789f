// The player page: catalog, controls, live panels. Talks to the server through the sessions API
// (HTTP), the typed WebSocket client (commands and events) and hls.js (media).
import { METRICS_INTERVAL_MS, Playback } from './playback.js';
import { connectRealtime } from './realtime.js';

const $ = (selector) => document.querySelector(selector);
const field = (name) => document.querySelector(`[data-field="${name}"]`);
const audio = $('#audio');
const params = new URLSearchParams(location.search);
// ?buffer=<seconds>: how far ahead to buffer (less memory on small devices; the browser tests use it).
const playback = new Playback(audio, { bufferSec: Number(params.get('buffer')) || undefined });
const userId = params.get('user_id') ?? (localStorage.hlsaudioUser ??= `listener-${Math.random().toString(36).slice(2, 8)}`);
const MAX_EVENTS = 50;
const PROGRESS_INTERVAL_MS = 5000;

let catalog = [];
let current; // catalog entry
let session; // {session_id, initial_profile}
let lastProgress = 0;

const realtime = connectRealtime({
  userId,
  token: params.get('token') ?? undefined,
  onStatus: (status) => (field('ws').textContent = status),
  onEvent: showEvent,
});

function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return '0:00';
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

function showError(message) {
  const box = $('#error');
  box.textContent = message;
  box.hidden = !message;
}

function showEvent(event) {
  if (event.event === 'LiveStats') return showLiveStats(event);
  if (event.event === 'ServerMessage' && event.message) field('recommendation').textContent = event.message;
  const { event: name, ...fields } = event;
  const item = document.createElement('li');
  item.dataset.event = name;
  const time = new Date().toLocaleTimeString();
  item.textContent = `${time} ${name} ${JSON.stringify(fields)}`;
  const list = $('#events');
  list.prepend(item);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

function showLiveStats(stats) {
  field('listeners').textContent = String(stats.concurrent_listeners);
  field('load').textContent = `${Math.round(stats.server_load * 100)}%`;
  const list = $('#top-tracks');
  list.replaceChildren(
    ...stats.top_tracks.map((track) => {
      const item = document.createElement('li');
      item.textContent = `${track.title}${track.artist ? ` — ${track.artist}` : ''} (${track.current_listeners})`;
      return item;
    }),
  );
}

async function loadCatalog() {
  const response = await fetch('/catalog.json');
  if (!response.ok) throw new Error(`catalog.json: HTTP ${response.status}`);
  catalog = (await response.json()).tracks;
  $('#catalog-empty').hidden = catalog.length > 0;
  $('#catalog').replaceChildren(
    ...catalog.map((track) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.track = track.id;
      button.innerHTML = '<span class="title"></span><span class="meta"></span>';
      button.querySelector('.title').textContent = track.title;
      button.querySelector('.meta').textContent = `${track.artist ?? 'Unknown artist'} · ${formatTime(track.duration_ms / 1000)}`;
      button.addEventListener('click', () => selectTrack(track));
      item.append(button);
      return item;
    }),
  );
}

/** Client capabilities from navigator.connection where the browser has it. */
function capabilities() {
  const connection = navigator.connection;
  const types = { wifi: 'Wifi', ethernet: 'Ethernet', cellular: 'Cellular4G' };
  const effective = { '4g': 'Cellular4G', '3g': 'Cellular3G', '2g': 'Cellular2G', 'slow-2g': 'Cellular2G' };
  const connectionType = types[connection?.type] ?? (connection?.type === undefined ? effective[connection?.effectiveType] : undefined) ?? 'Unknown';
  const mobile = /Mobi|Android/i.test(navigator.userAgent);
  return {
    estimated_bandwidth_kbps: Math.round((connection?.downlink ?? 1) * 1000),
    buffer_duration_ms: 30000,
    connection_type: connectionType,
    device_type: mobile ? 'Mobile' : 'Desktop',
    preferred_quality: null,
    adaptive_enabled: true,
  };
}

async function selectTrack(track) {
  showError('');
  if (current) await realtime.send({ command: 'Stop', track_id: current.id }).catch(() => {});
  current = track;
  for (const button of document.querySelectorAll('#catalog button')) button.setAttribute('aria-current', String(button.dataset.track === track.id));
  field('title').textContent = track.title;
  field('artist').textContent = track.artist ?? '';
  const response = await fetch('/api/streaming/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ track_id: track.id, client_id: userId, client_capabilities: capabilities() }),
  });
  const body = await response.json();
  if (!response.ok) return showError(body.message ?? `session: HTTP ${response.status}`);
  session = body;
  realtime.setSession?.(session.session_id);
  field('session').textContent = `${session.session_id.slice(0, 8)}… started on ${session.initial_profile.quality_id}`;
  const select = $('#quality');
  const familyOf = (id) => track.masters.find((master) => master.profiles.includes(id))?.codec_family.toUpperCase();
  select.replaceChildren(new Option('Auto (AAC ladder)', 'auto'), ...track.profiles.map((id) => new Option(`${id} (${familyOf(id)})`, id)));
  select.disabled = false;
  $('#play').disabled = false;
  $('#seek').disabled = false;
  $('#seek').max = String(track.duration_ms / 1000);
  playback.load(track, session);
  await play();
}

async function play() {
  if (!current) return;
  const resumed = audio.currentTime > 0;
  await audio.play().catch((error) => showError(`Playback blocked: ${error.message}. Press play.`));
  await realtime.send({ command: 'Play', track_id: current.id, start_position_ms: Math.round(audio.currentTime * 1000) }).catch((error) => showError(error.message));
  if (!resumed) lastProgress = performance.now();
}

async function pause() {
  audio.pause();
  if (current) await realtime.send({ command: 'Pause', track_id: current.id }).catch((error) => showError(error.message));
}

function seekTo(seconds) {
  if (!current) return;
  audio.currentTime = Math.max(0, Math.min(seconds, current.duration_ms / 1000));
  realtime.send({ command: 'Seek', track_id: current.id, position_ms: Math.round(audio.currentTime * 1000) }).catch(() => {});
}

function render() {
  const s = playback.snapshot();
  const quality = s.variant ? `${s.variant}${s.mode === 'auto' ? ' (auto)' : ''}` : '–';
  field('variant').textContent = quality;
  field('bitrate').textContent = s.bitrate ? `${Math.round(s.bitrate / 1000)} kbps` : '–';
  field('bandwidth').textContent = s.bandwidthEstimate ? `${Math.round(s.bandwidthEstimate / 1000)} kbps` : '–';
  field('buffer').textContent = `${s.bufferHealth}%`;
  $('#buffer').value = s.bufferHealth;
  field('switches').textContent = String(s.switches);
  field('rebuffers').textContent = `${s.rebuffers}${s.rebufferMs ? ` (${(s.rebufferMs / 1000).toFixed(1)} s)` : ''}`;
}

playback.addEventListener('change', render);
playback.addEventListener('error', (event) => showError(`Playback error: ${event.detail}`));
audio.addEventListener('play', () => ($('#play').textContent = 'Pause'));
audio.addEventListener('pause', () => ($('#play').textContent = 'Play'));
audio.addEventListener('timeupdate', () => {
  const duration = current ? current.duration_ms / 1000 : 0;
  $('#seek').value = String(audio.currentTime);
  $('#seek').setAttribute('aria-valuetext', `${formatTime(audio.currentTime)} of ${formatTime(duration)}`);
  $('#time').textContent = `${formatTime(audio.currentTime)} / ${formatTime(duration)}`;
  if (current && !audio.paused && performance.now() - lastProgress > PROGRESS_INTERVAL_MS) {
    lastProgress = performance.now();
    realtime.send({ command: 'Seek', track_id: current.id, position_ms: Math.round(audio.currentTime * 1000) }).catch(() => {});
  }
});
audio.addEventListener('ended', () => current && realtime.send({ command: 'Stop', track_id: current.id }).catch(() => {}));
$('#play').addEventListener('click', () => (audio.paused ? play() : pause()));
$('#seek').addEventListener('change', (event) => seekTo(Number(event.target.value)));
$('#quality').addEventListener('change', (event) => chooseQuality(event.target.value));

/** Plays a forced variant (or auto), and tells the session what the listener chose. */
function chooseQuality(mode) {
  playback.setQuality(mode);
  if (!session || mode === 'auto') return;
  fetch(`/api/streaming/session/${encodeURIComponent(session.session_id)}/quality`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ quality: mode }),
  }).catch(() => {});
}
document.addEventListener('keydown', (event) => {
  if (!current || event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
  if (event.key === ' ' && !(event.target instanceof HTMLButtonElement)) {
    event.preventDefault();
    audio.paused ? play() : pause();
  } else if (event.key === 'ArrowRight') seekTo(audio.currentTime + 5);
  else if (event.key === 'ArrowLeft') seekTo(audio.currentTime - 5);
  else if (event.key === 'q' || event.key === 'Q') {
    const select = $('#quality');
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    chooseQuality(select.value);
  }
});

setInterval(() => {
  render();
  if (!session || audio.paused) return;
  fetch(`/api/streaming/session/${encodeURIComponent(session.session_id)}/metrics`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(playback.metrics()),
  }).catch(() => {});
}, METRICS_INTERVAL_MS);

loadCatalog().catch((error) => showError(error.message));
// Test hook: the browser tests read the playback state from here, and what the server holds for the
// page's connection (GetStatus).
window.hlsaudioPlayer = {
  playback,
  selectTrack: (id) => selectTrack(catalog.find((track) => track.id === id)),
  seekTo,
  session: () => session,
  serverPlayback: async () => (await realtime.send({ command: 'GetStatus' })).data.connection.playback,
};
