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
let current; // catalog entry whose media is loaded
let session; // {session_id, initial_profile}
let sessionCreatedAt = 0; // Date.now() when `session` was created
let sessionQuality; // the session's current_quality, as far as the page knows
let selection = 0; // counts track choices: a choice's awaited results apply only if no later one came
let listened = false; // the listener has started `current` and not reached its end
let lastProgress = 0;

const realtime = connectRealtime({
  userId,
  token: params.get('token') ?? undefined,
  onStatus: (status) => (field('ws').textContent = status),
  onEvent: showEvent,
  onOpen: connectionReady,
  onQualityChange: (change) => {
    if (change.session_id === session?.session_id) sessionQuality = change.to_quality;
  },
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
  if (event.event === 'QualityChanged') field('recommendation').textContent = `${event.from_quality} → ${event.to_quality} (${event.reason})`;
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

/**
 * Client capabilities from navigator.connection where the browser has it. A session made again for
 * a forced variant (after the server lost the first one) asks for that variant, adaptation off.
 */
function clientCapabilities(mode) {
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
    preferred_quality: mode === 'auto' ? null : mode,
    adaptive_enabled: mode === 'auto',
  };
}

async function createSession(track, mode = 'auto') {
  const response = await fetch('/api/streaming/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ track_id: track.id, client_id: userId, client_capabilities: clientCapabilities(mode) }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message ?? `session: HTTP ${response.status}`);
  return body;
}

/** A session the page will not use (a later track choice overtook it): ended rather than left to expire. */
function dropSession(stale) {
  fetch(`/api/streaming/session/${encodeURIComponent(stale.session_id)}`, { method: 'DELETE' }).catch(() => {});
}

/** The session's connection replaces the current one (which ends whatever the server held on it). */
function useSession(next) {
  session = next;
  sessionCreatedAt = Date.now();
  sessionQuality = next.initial_profile.quality_id;
  realtime.setSession(next.session_id);
  field('session').textContent = `${next.session_id.slice(0, 8)}… started on ${next.initial_profile.quality_id}`;
}

async function selectTrack(track) {
  const generation = ++selection;
  showError('');
  for (const button of document.querySelectorAll('#catalog button')) button.setAttribute('aria-current', String(button.dataset.track === track.id));
  field('title').textContent = track.title;
  field('artist').textContent = track.artist ?? '';
  if (current) {
    current = undefined;
    listened = false;
    playback.pause();
  }
  await syncPlayback(); // Stop on the old connection, before the new session's replaces it
  if (generation !== selection) return;
  let next;
  try {
    next = await createSession(track);
  } catch (error) {
    if (generation === selection) showError(error.message);
    return;
  }
  if (generation !== selection) return dropSession(next);
  useSession(next);
  current = track;
  listened = false;
  const select = $('#quality');
  const familyOf = (id) => track.masters.find((master) => master.profiles.includes(id))?.codec_family.toUpperCase();
  select.replaceChildren(new Option('Auto (AAC ladder)', 'auto'), ...track.profiles.map((id) => new Option(`${id} (${familyOf(id)})`, id)));
  select.disabled = false;
  $('#play').disabled = false;
  $('#seek').disabled = false;
  $('#seek').max = String(track.duration_ms / 1000);
  playback.load(track, next);
}

// The server's playback state follows the audio element: whatever started or paused it (the page's
// buttons, keys, a media key, the browser), the page tells the server. The page's own reloads (a
// track's load, a switch of codec family, a media error's recovery) are left out until they are over.

/** What the server holds for a connection the page told: `{ connection, trackId, playing }`. */
let held;
/** The connection playback may be told on: the ready one, once the session behind it is known to exist. */
let usable;
let queue = Promise.resolve();

/** Runs `task` after the commands already on their way, so that they reach the server in order. */
function enqueue(task) {
  queue = queue.then(task).catch(() => {});
  return queue;
}

function heldOn(connection) {
  return held?.connection === connection ? held : undefined;
}

function positionMs() {
  return Math.max(0, Math.min(Math.round(audio.currentTime * 1000), current?.duration_ms ?? 0));
}

/** Tells the server what the audio element does, one command at a time, until the two agree. */
function syncPlayback() {
  return enqueue(async () => {
    for (let step = 0; step < 4 && (await syncStep()); step++);
  });
}

/** Sends the next command towards agreement; false when there is none to send, or none could be. */
async function syncStep() {
  const connection = realtime.connection;
  if (connection === undefined || connection !== usable || playback.reloading) return false;
  const server = heldOn(connection);
  const want = current && listened && !audio.ended ? { trackId: current.id, playing: !audio.paused } : undefined;
  if (server && server.trackId !== want?.trackId) return tell(connection, { command: 'Stop', track_id: server.trackId }, undefined);
  if (!want || server?.playing === want.playing) return false;
  // A Play starts the track (where the audio is, also on a new connection) or resumes it; a paused
  // track the server does not hold is started, then paused.
  if (want.playing || !server) {
    lastProgress = performance.now();
    return tell(connection, { command: 'Play', track_id: want.trackId, start_position_ms: positionMs() }, { trackId: want.trackId, playing: true });
  }
  return tell(connection, { command: 'Pause', track_id: want.trackId }, { trackId: want.trackId, playing: false });
}

/** Sends a playback command; true when the server holds a state the page knows (`after`, or what it said). */
async function tell(connection, command, after) {
  try {
    await realtime.send(command);
    held = after && { connection, ...after };
    return true;
  } catch (error) {
    // The connection dropped: the next one is told from scratch.
    if (error.code !== 'E_COMMAND_FAILED') return false;
    // The server holds another state than the page thought: ask it which.
    if (error.serverCode === 'E_PLAYBACK') return learn(connection);
    showError(`${command.command}: ${error.message}`);
    return false;
  }
}

async function learn(connection) {
  try {
    const status = (await realtime.send({ command: 'GetStatus' })).data.connection.playback;
    held = status ? { connection, trackId: status.track_id, playing: status.state === 'playing' } : undefined;
    return true;
  } catch {
    return false;
  }
}

/** Seek, also sent every 5 s while playing as progress; only for a track the server holds. */
function tellPosition() {
  return enqueue(async () => {
    const connection = realtime.connection;
    const server = heldOn(connection);
    if (connection === undefined || connection !== usable || playback.reloading || !current || server?.trackId !== current.id) return;
    await tell(connection, { command: 'Seek', track_id: current.id, position_ms: positionMs() }, server);
  });
}

/**
 * A connection is ready, with no playback state on the server. After a reconnection, the server may
 * have restarted and lost the session (sessions live in its memory): then the page makes a new one
 * (whose connection is told the playback), else it tells this connection where the listener is.
 */
async function connectionReady(connection, { reconnected }) {
  if (reconnected && session && (await serverStartedAfter(sessionCreatedAt))) {
    if (realtime.connection === connection && (await renewSession())) return;
  }
  if (realtime.connection !== connection) return;
  usable = connection;
  syncPlayback();
}

/** Whether the server was started after `time` (`/healthz` gives its uptime in whole seconds). */
async function serverStartedAfter(time) {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    const { uptime_s: uptime } = await response.json();
    return Date.now() - uptime * 1000 + 500 > time;
  } catch {
    return false;
  }
}

let renewing;
/** A new session for the track playing, on the quality playing; true once its connection is being opened. */
function renewSession() {
  renewing ??= makeSessionAgain().finally(() => (renewing = undefined));
  return renewing;
}

async function makeSessionAgain() {
  const track = current;
  const generation = selection;
  if (!track) return false;
  try {
    const next = await createSession(track, playback.mode);
    if (generation !== selection || current !== track) {
      dropSession(next);
      return false;
    }
    useSession(next);
    const playing = playback.snapshot().variant;
    if (playback.mode === 'auto' && playing && playing !== sessionQuality) reportQuality({ quality: playing, reason: 'player' });
    return true;
  } catch {
    return false;
  }
}

/** The answer of a sessions API call: a session the server no longer knows is made again. */
async function checkSessionAnswer(response, sessionId) {
  if (response.status !== 404 || session?.session_id !== sessionId) return;
  const body = await response.json().catch(() => ({}));
  if (body.error === 'E_UNKNOWN_SESSION') renewSession();
}

let qualityQueue = Promise.resolve();
let qualityFieldsRefused = false;
/**
 * `PUT …/quality`: `{quality, adaptive_enabled?, reason?}` (`reason: "user"` for the listener's choice,
 * `"player"` for what hls.js's ABR plays). A server that refuses the two newer fields (400) is sent
 * `{quality}` alone from then on. In order, one at a time; failures are not the listener's concern.
 */
function reportQuality(report) {
  if (!session) return;
  const sessionId = session.session_id;
  const put = (body) =>
    fetch(`/api/streaming/session/${encodeURIComponent(sessionId)}/quality`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  qualityQueue = qualityQueue
    .then(async () => {
      let response = await put(qualityFieldsRefused ? { quality: report.quality } : report);
      if (response.status === 400 && !qualityFieldsRefused) {
        qualityFieldsRefused = true;
        response = await put({ quality: report.quality });
      }
      if (response.ok) {
        const answer = await response.json();
        if (session?.session_id === sessionId) sessionQuality = answer.current_quality;
      } else await checkSessionAnswer(response, sessionId);
    })
    .catch(() => {});
}

function play() {
  if (!current) return;
  playback.play().catch((error) => error.name === 'NotAllowedError' && showError(`Playback blocked: ${error.message}. Press play.`));
}

function pause() {
  if (current) playback.pause();
}

function togglePlay() {
  playback.wantsPlaying ? pause() : play();
}

function seekTo(seconds) {
  if (!current) return;
  audio.currentTime = Math.max(0, Math.min(seconds, current.duration_ms / 1000));
  tellPosition();
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

function renderPlayButton() {
  $('#play').textContent = playback.wantsPlaying ? 'Pause' : 'Play';
}

playback.addEventListener('change', render);
playback.addEventListener('error', (event) => showError(`Playback error: ${event.detail}`));
playback.addEventListener('reloaded', (event) => {
  if (event.detail.blocked) showError(`Playback blocked: ${event.detail.blocked.message}. Press play.`);
  if (!audio.paused) listened = true;
  renderPlayButton();
  syncPlayback();
});
// In Auto, what hls.js's ABR really plays is told to the session.
playback.addEventListener('variant', (event) => {
  if (playback.mode === 'auto' && event.detail !== sessionQuality) reportQuality({ quality: event.detail, reason: 'player' });
});
audio.addEventListener('play', () => {
  renderPlayButton();
  if (playback.reloading) return;
  listened = true;
  syncPlayback();
});
audio.addEventListener('pause', () => {
  renderPlayButton();
  if (!playback.reloading) syncPlayback();
});
audio.addEventListener('ended', () => {
  listened = false;
  syncPlayback();
});
audio.addEventListener('timeupdate', () => {
  const duration = current ? current.duration_ms / 1000 : 0;
  $('#seek').value = String(audio.currentTime);
  $('#seek').setAttribute('aria-valuetext', `${formatTime(audio.currentTime)} of ${formatTime(duration)}`);
  $('#time').textContent = `${formatTime(audio.currentTime)} / ${formatTime(duration)}`;
  if (current && !audio.paused && performance.now() - lastProgress > PROGRESS_INTERVAL_MS) {
    lastProgress = performance.now();
    tellPosition();
  }
});
$('#play').addEventListener('click', togglePlay);
$('#seek').addEventListener('change', (event) => seekTo(Number(event.target.value)));
$('#quality').addEventListener('change', (event) => chooseQuality(event.target.value));

/** Plays a forced variant (or auto), and tells the session what the listener chose. */
function chooseQuality(mode) {
  if (!current) return;
  const playing = playback.snapshot().variant ?? sessionQuality;
  playback.setQuality(mode);
  if (mode === 'auto') reportQuality({ quality: playing, adaptive_enabled: true, reason: 'user' });
  else reportQuality({ quality: mode, adaptive_enabled: false, reason: 'user' });
}
document.addEventListener('keydown', (event) => {
  if (!current || event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
  if (event.key === ' ' && !(event.target instanceof HTMLButtonElement)) {
    event.preventDefault();
    togglePlay();
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
  if (!session || !current || audio.paused) return;
  const sessionId = session.session_id;
  fetch(`/api/streaming/session/${encodeURIComponent(sessionId)}/metrics`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(playback.metrics()),
  })
    .then((response) => checkSessionAnswer(response, sessionId))
    .catch(() => {});
}, METRICS_INTERVAL_MS);

loadCatalog().catch((error) => showError(error.message));
// Test hook: the browser tests read the playback state from here, and what the server holds for the
// page's connection (GetStatus).
window.hlsaudioPlayer = {
  playback,
  selectTrack: (id) => selectTrack(catalog.find((track) => track.id === id)),
  seekTo,
  session: () => session,
  /** The playing variant's loudness from the session answer (integrated, true peak, range, target), for a later volume normalisation; null before a session or for old tracks. */
  loudness: () => session?.loudness ?? null,
  serverPlayback: async () => (await realtime.send({ command: 'GetStatus' })).data.connection.playback,
};
