import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The player page in Debian's Chromium, driven by playwright-core, against `hlsaudio serve` on a
 * packaged track cut into 2 s segments, with hls.js told to buffer only 4 s ahead (`?buffer=4`):
 * "still playing" proves nothing while hls.js plays what it buffered before a switch, so each
 * switch must be followed by that variant's own byte ranges and by playback passing the end of what
 * was buffered when the switch was asked for. Each test opens its own browser context (its own
 * page, storage and listener), so that none depends on what another left behind.
 */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
const SCREENSHOTS = join(ROOT, 'test-output');
/** The tests play faster than real time, through a 48 s track that none reaches the end of. */
const PLAYBACK_RATE = 3;
const TRACK = 'groove';
const OTHER = 'ballad';
const root = tempDir();
const out = join(root, 'out');
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let user: string;
let testCount = 0;
let requests: { url: string; method: string; body: string | null; range: string | undefined; at: number }[] = [];
let problems: { text: string; url: string; at: number }[] = [];
/** Console messages a test causes on purpose, each allowed only within its time window. */
let expectedProblems: { pattern: RegExp; from: number; to: number }[] = [];
/** What a server restart makes the browser log: refused connections of the page, hls.js and the WebSocket. */
const RESTART_PROBLEMS = /net::ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/;

interface State {
  time: number;
  paused: boolean;
  bufferedEnd: number;
  variant: string | undefined;
  ws: string;
  rate: number;
}

interface Snapshot {
  variant?: string;
  mode: string;
  bufferHealth: number;
  switches: number;
  rebuffers: number;
}

/** What the server holds for the page's connection (GetStatus), null when nothing. */
interface ServerPlayback {
  track_id: string;
  state: 'playing' | 'paused';
  position_ms: number;
}

/** `window.hlsaudioPlayer`, the page's test hook. */
interface PlayerHook {
  playback: { snapshot(): Snapshot; track?: { id: string }; hls?: { trigger(event: string, data: object): void; config: { maxBufferLength: number } } };
  seekTo(seconds: number): void;
  selectTrack(id: string): Promise<void>;
  session(): { session_id: string; initial_profile: { quality_id: string } } | undefined;
  serverPlayback(): Promise<ServerPlayback | null>;
  loudnessFactor(): number;
}
type WithHook = { hlsaudioPlayer: PlayerHook };

const state = (): Promise<State> =>
  page.evaluate(() => {
    const audio = document.querySelector('audio')!;
    const { buffered } = audio;
    const snapshot = (window as unknown as WithHook).hlsaudioPlayer.playback.snapshot();
    return {
      time: audio.currentTime,
      paused: audio.paused,
      bufferedEnd: buffered.length ? buffered.end(buffered.length - 1) : 0,
      variant: snapshot.variant,
      ws: document.querySelector('[data-field="ws"]')!.textContent!,
      rate: audio.playbackRate,
    };
  });

const snapshot = (): Promise<Snapshot> => page.evaluate(() => (window as unknown as WithHook).hlsaudioPlayer.playback.snapshot());

/** GetStatus on the page's own connection; undefined while the connection is not ready. */
const serverPlayback = (): Promise<ServerPlayback | null | undefined> => page.evaluate(() => (window as unknown as WithHook).hlsaudioPlayer.serverPlayback().catch(() => undefined));

const seekTo = (seconds: number) => page.evaluate((s) => (window as unknown as WithHook).hlsaudioPlayer.seekTo(s), seconds);

const sessionOfPage = () => page.evaluate(() => (window as unknown as WithHook).hlsaudioPlayer.session()!);

/** The bodies of `PUT …/quality` the page sent since `since`. */
const qualityReports = (since: number) =>
  requests.filter((r) => r.at >= since && r.method === 'PUT' && r.url.endsWith('/quality')).map((r) => JSON.parse(r.body ?? 'null') as Record<string, unknown>);

const errorLine = () =>
  page.evaluate(() => {
    const box = document.querySelector<HTMLElement>('#error')!;
    return box.hidden ? '' : box.textContent;
  });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page state ${JSON.stringify(await state())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function setRate(rate: number): Promise<void> {
  await page.evaluate((r) => {
    const audio = document.querySelector('audio')!;
    audio.defaultPlaybackRate = r;
    audio.playbackRate = r;
  }, rate);
}

/** Plays past what was buffered at the start (or at `before`): what hls.js loaded since is really played. */
async function playsPastBuffer(what: string, before?: State): Promise<void> {
  before ??= await state();
  await waitFor(`${what}: playback past ${before.bufferedEnd.toFixed(1)} s`, async () => {
    const now = await state();
    return !now.paused && now.time > before.bufferedEnd + 0.3;
  });
}

async function openPage(): Promise<void> {
  await page.goto(`http://127.0.0.1:${server.port}/?buffer=4&user_id=${user}`);
}

/** Opens the page and plays `track` from its catalog button, until the server holds the play. */
async function startPlaying(track = TRACK): Promise<void> {
  await openPage();
  await page.locator(`#catalog button[data-track="${track}"]`).click();
  await waitFor('playback to start', async () => (await state()).time > 0.5);
  await expect.poll(serverPlayback).toMatchObject({ track_id: track, state: 'playing' });
  // Faster than real time: what the tests wait for (playback past the buffer) comes sooner.
  await setRate(PLAYBACK_RATE);
}

/** Forces `quality` and waits until it plays past what was buffered before. */
async function forceQuality(quality: string): Promise<void> {
  const before = await state();
  await page.selectOption('#quality', quality);
  await waitFor(`${quality} to play`, async () => {
    const now = await state();
    return !now.paused && now.variant === quality && now.time > before.bufferedEnd + 0.3;
  });
}

/** A synthetic audiowaveform peaks.json: `length` pixels of a rising saw, 8 bits, one channel. */
function syntheticPeaks(length: number) {
  const data: number[] = [];
  for (let i = 0; i < length; i++) data.push(-((i * 7) % 128), (i * 7) % 128);
  return { version: 2, channels: 1, sample_rate: 44100, samples_per_pixel: Math.round((48 * 44100) / length), bits: 8, length, data };
}

beforeAll(async () => {
  const source = makeMusic(48, join(root, `${TRACK}.wav`));
  const other = makeMusic(12, join(root, `${OTHER}.wav`));
  const packaged = await runCli(['package', source, other, '-o', out, '--segment-duration', '2', '--quiet']);
  expect(packaged.code).toBe(0);
  server = await startServe(out);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stopServers();
});

beforeEach(async () => {
  requests = [];
  problems = [];
  expectedProblems = [];
  user = `browser-test-${++testCount}`;
  context = await browser.newContext();
  page = await context.newPage();
  page.on('request', (request: Request) =>
    requests.push({ url: request.url(), method: request.method(), body: request.postData(), range: request.headers().range, at: Date.now() }),
  );
  page.on('console', (message) => message.type() === 'error' && problems.push({ text: `console: ${message.text()}`, url: message.location().url, at: Date.now() }));
  page.on('pageerror', (error) => problems.push({ text: `page error: ${error.message}`, url: '', at: Date.now() }));
});

afterEach(async () => {
  await context.close();
  // Only what the test caused on purpose, and only while it did: anything else fails it. A track
  // without a waveform answers its peaks.json with 404, which Chromium logs.
  const unexpected = problems.filter(
    (problem) =>
      !(/status of 404/.test(problem.text) && problem.url.endsWith('/peaks.json')) &&
      !expectedProblems.some((expected) => problem.at >= expected.from && problem.at <= expected.to && expected.pattern.test(problem.text)),
  );
  expect(unexpected.map((problem) => problem.text)).toEqual([]);
});

describe('the player page', () => {
  it('lists the catalog, plays the chosen track and shows the events received as readable lines, raw JSON on demand', async () => {
    await openPage();
    await page.getByRole('button', { name: /Groove/i }).or(page.locator(`#catalog button[data-track="${TRACK}"]`)).first().click();
    await waitFor('playback to start', async () => (await state()).time > 1);
    const before = (await state()).time;
    await page.waitForTimeout(1500);
    const after = await state();
    expect(after.paused).toBe(false);
    expect(after.time).toBeGreaterThan(before + 0.8);
    expect(after.ws).toBe('open');
    await expect.poll(() => page.locator('#events li[data-event="PlaybackStarted"]').count()).toBeGreaterThan(0);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    await expect.poll(() => page.locator('[data-field="listeners"]').textContent(), { timeout: 15_000 }).toBe('1');
    // The track's first fragment is no quality switch.
    expect((await snapshot()).switches).toBe(0);
    // A readable line per event; the raw JSON only when asked for.
    expect(await page.locator('#events li[data-event="PlaybackStarted"] .line').first().textContent()).toMatch(new RegExp(`${user} started ${TRACK}$`));
    expect(await page.locator('#events li[data-event="CommandResponse"] .line').allTextContents()).toContainEqual(expect.stringMatching(/ Play done$/));
    const raw = page.locator('#events li[data-event="PlaybackStarted"] .raw-json').first();
    expect(await raw.isVisible()).toBe(false);
    await page.getByLabel('Raw JSON').check();
    expect(await raw.isVisible()).toBe(true);
    expect(JSON.parse((await raw.textContent())!)).toMatchObject({ event: 'PlaybackStarted', track_id: TRACK, user_id: user });
    await page.screenshot({ path: join(SCREENSHOTS, 'player.png'), fullPage: true });
  });

  it('plays, with Play and no track chosen, the first track of the catalog, or the last one played', async () => {
    await openPage();
    await page.click('#play');
    await waitFor('playback to start', async () => (await state()).time > 0.3);
    const first = await page.locator('#catalog button').first().getAttribute('data-track');
    await expect.poll(serverPlayback).toMatchObject({ track_id: first, state: 'playing' });
    const last = first === TRACK ? OTHER : TRACK;
    await page.locator(`#catalog button[data-track="${last}"]`).click();
    await expect.poll(serverPlayback).toMatchObject({ track_id: last, state: 'playing' });
    await openPage(); // the same browser, later
    await page.click('#play');
    await expect.poll(serverPlayback).toMatchObject({ track_id: last, state: 'playing' });
    expect(await page.locator('[data-field="title"]').textContent()).toBe(last);
  });

  it.each([
    ['mobile', undefined, 'aac', false],
    ['medium', 'mobile', 'aac', false],
    ['low', 'medium', 'mp3', true],
    ['high', 'low', 'aac', true],
  ])('keeps playing after a forced switch to %s (from %s): its own byte ranges are fetched and playback passes what was buffered before', async (quality, from, extension, otherFamily) => {
    await startPlaying();
    if (from) await forceQuality(from);
    else await playsPastBuffer('the initial variant'); // Auto has settled (hls.js plays the session's profile)
    const before = await state();
    const counted = await snapshot();
    const askedAt = Date.now();
    await page.selectOption('#quality', quality);
    // Media names carry their content's hash (`audio.0123456789ab.aac`).
    const media = new RegExp(`^/hls/${TRACK}/${quality}/audio\\.[0-9a-f]{12}\\.${extension}$`);
    await waitFor(`byte ranges of ${media}`, async () => requests.some((r) => r.at >= askedAt && media.test(new URL(r.url).pathname) && /^bytes=\d+-\d+$/.test(r.range ?? '')));
    await waitFor(`playback past ${before.bufferedEnd.toFixed(1)} s on ${quality}`, async () => {
      const now = await state();
      return !now.paused && now.time > before.bufferedEnd + 0.3 && now.variant === quality;
    });
    // A switch to the other codec family reloads that family's master where playback was: no restart.
    const now = await state();
    expect(now.time).toBeGreaterThan(before.time);
    expect(await page.locator('[data-field="variant"]').textContent()).toBe(quality);
    // One switch, also when it reloads a master; and that reload is the page's doing, not a stall.
    const counts = await snapshot();
    expect(counts.switches).toBe(counted.switches + 1);
    if (otherFamily) expect(counts.rebuffers).toBe(counted.rebuffers);
    expect(qualityReports(askedAt)).toEqual([{ quality, adaptive_enabled: false, reason: 'user' }]);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    // The server pushes the change as QualityChanged to the session's connection; the page shows it.
    if (from) await expect.poll(() => page.locator('[data-field="recommendation"]').textContent()).toBe(`switch ${from} → ${quality} (user)`);
  });

  it('tells the session, in Auto, the variant hls.js plays', async () => {
    await startPlaying();
    await forceQuality('low');
    const askedAt = Date.now();
    await page.selectOption('#quality', 'auto');
    await waitFor('an AAC variant to play in Auto', async () => !['low', undefined].includes((await state()).variant));
    await playsPastBuffer('Auto');
    const playing = (await state()).variant!;
    // The listener's choice names what played then (adaptation back on); then what the player plays.
    await expect.poll(() => qualityReports(askedAt)).toEqual([
      { quality: 'low', adaptive_enabled: true, reason: 'user' },
      { quality: playing, reason: 'player' },
    ]);
    const session = await (await fetch(`http://127.0.0.1:${server.port}/api/streaming/session/${(await sessionOfPage()).session_id}`)).json();
    expect(session.current_quality).toBe(playing);
    expect(session.user_id).toBe(user);
  });

  it('stays paused through a switch of codec family made while paused, and the server agrees', async () => {
    await startPlaying();
    await page.click('#play');
    await waitFor('pause', async () => (await state()).paused);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'paused' });
    const askedAt = Date.now();
    await page.selectOption('#quality', 'low');
    await waitFor('the MP3 master to load', async () => requests.some((r) => r.at >= askedAt && /\/low\/audio\.[0-9a-f]{12}\.mp3$/.test(new URL(r.url).pathname)));
    await page.waitForTimeout(1000);
    expect((await state()).paused).toBe(true);
    expect(await page.locator('#play').textContent()).toBe('Play');
    expect(await serverPlayback()).toMatchObject({ track_id: TRACK, state: 'paused' });
    await page.click('#play');
    await playsPastBuffer('play after the paused switch');
    expect((await state()).variant).toBe('low');
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    expect(await errorLine()).toBe('');
  });

  it('tells the server of a pause and a play that did not come from the page (a media key)', async () => {
    await startPlaying();
    await page.evaluate(() => document.querySelector('audio')!.pause());
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'paused' });
    expect(await page.locator('#play').textContent()).toBe('Play');
    await page.evaluate(() => document.querySelector('audio')!.play());
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    expect(await page.locator('#play').textContent()).toBe('Pause');
    await page.click('#play'); // and the page's own button still agrees with the server
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'paused' });
    await page.click('#play');
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    expect(await errorLine()).toBe('');
  });

  it('reports a full buffer once everything up to the end of the track is buffered', async () => {
    await startPlaying();
    await page.click('#play');
    await waitFor('pause', async () => (await state()).paused);
    await seekTo(46.5);
    await waitFor('the end of the track to be buffered', async () => (await state()).bufferedEnd > 47.5);
    const ahead = await page.evaluate(() => {
      const audio = document.querySelector('audio')!;
      return audio.buffered.end(audio.buffered.length - 1) - audio.currentTime;
    });
    expect(ahead).toBeLessThan(2); // a quarter of hls.js's maxBufferLength (4 s) at most…
    await expect.poll(async () => (await snapshot()).bufferHealth).toBe(100); // …and yet nothing is missing
  });

  it('reports the play to the analytics once the listener leaves', async () => {
    const startedAt = Date.now();
    await startPlaying();
    await setRate(1); // the analytics count listening at the pace of the wall clock
    await forceQuality('mobile');
    await page.waitForTimeout(1000);
    await page.goto('about:blank'); // closes the WebSocket: the play ends
    const summaryUrl = `http://127.0.0.1:${server.port}/api/analytics/summary?since=${startedAt}`;
    await expect
      .poll(async () => (await (await fetch(summaryUrl)).json()).tracks?.find((track: { track_id: string }) => track.track_id === TRACK), { timeout: 15_000 })
      .toMatchObject({ track_id: TRACK, plays: 1, ended_plays: 1 });
    const details = await (await fetch(`http://127.0.0.1:${server.port}/api/analytics/tracks/${TRACK}?since=${startedAt}`)).json();
    expect(details.totals.listened_ms).toBeGreaterThan(3000);
    // The forced switch, told to the session, is the play's quality switch.
    expect(details.quality_switches).toEqual([expect.objectContaining({ to: 'mobile', reason: 'user' })]);
    expect(details.totals.quality_switches).toBe(1);
    expect(details.platforms).toEqual([expect.objectContaining({ platform: 'Web', plays: 1 })]);
  });

  it('plays the last of two quick track choices, whatever order their sessions come back in', async () => {
    await openPage();
    // The first choice's session arrives last.
    await page.route('**/api/streaming/session', async (route) => {
      if (route.request().postData()?.includes(`"${OTHER}"`)) await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue();
    });
    const chosenAt = Date.now();
    await page.locator(`#catalog button[data-track="${OTHER}"]`).click();
    await page.locator(`#catalog button[data-track="${TRACK}"]`).click();
    await waitFor('playback to start', async () => (await state()).time > 0.5);
    await page.waitForTimeout(1000); // the late session has come back meanwhile
    await page.unroute('**/api/streaming/session');
    expect(await page.evaluate(() => (window as unknown as WithHook).hlsaudioPlayer.playback.track?.id)).toBe(TRACK);
    expect(await page.locator('[data-field="title"]').textContent()).toBe(TRACK);
    expect(requests.some((r) => r.at >= chosenAt && r.url.includes(`/hls/${OTHER}/`))).toBe(false);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    // The session of the choice overtaken is ended, not left to expire.
    expect(requests.some((r) => r.at >= chosenAt && r.method === 'DELETE' && r.url.includes('/api/streaming/session/'))).toBe(true);
  });

  it('fits a 390 px phone screen (no panel wider, no sideways scroll) and works from the keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openPage();
    await page.locator(`#catalog button[data-track="${TRACK}"]`).focus();
    await page.keyboard.press('Enter');
    await waitFor('playback to start', async () => (await state()).time > 0.5);
    // A long value without a space (a server message, a session id) wraps rather than widening the column.
    await page.evaluate(() => (document.querySelector('[data-field="recommendation"]')!.textContent = `quality_recommendation_${'x'.repeat(60)}`));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll('.panel')].map((panel) => panel.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(390);
    expect(await page.getByLabel('Quality').isVisible()).toBe(true);
    expect(await page.getByLabel('Position').isVisible()).toBe(true);
    await page.locator('h1').click(); // focus out of the controls: page-level keys
    await page.keyboard.press(' ');
    await waitFor('pause from the keyboard', async () => (await state()).paused);
    const paused = await state();
    await page.keyboard.press('ArrowRight');
    await waitFor('a 5 s seek from the keyboard', async () => (await state()).time >= paused.time + 4.5);
    await page.keyboard.press(' ');
    await waitFor('play from the keyboard', async () => !(await state()).paused);
    await page.screenshot({ path: join(SCREENSHOTS, 'player-phone.png'), fullPage: true });
  });

  it('draws the waveform as the seek bar where the track has peaks.json, the plain bar where it has none', async () => {
    await page.route(`**/hls/${TRACK}/peaks.json`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(syntheticPeaks(480)) }));
    // Every track packaged today has peaks: the other one is made to have none.
    await page.route(`**/hls/${OTHER}/peaks.json`, (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"E_NOT_FOUND","message":"no peaks"}' }));
    await startPlaying();
    const waveform = page.locator('#waveform');
    await expect.poll(() => waveform.isVisible()).toBe(true);
    // Bars drawn: the canvas is not blank.
    await expect
      .poll(() => page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('#waveform')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        return pixels.some((value, index) => index % 4 === 3 && value > 0);
      }))
      .toBe(true);
    await seekTo(20); // the slider on top still seeks
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, position_ms: expect.any(Number) });
    await page.locator(`#catalog button[data-track="${OTHER}"]`).click();
    await expect.poll(serverPlayback).toMatchObject({ track_id: OTHER });
    await expect.poll(() => waveform.isVisible()).toBe(false);
  });

  it('applies the recorded loudness gain when the listener turns normalisation on, none without figures', async () => {
    await page.route('**/catalog.json', async (route) => {
      const catalog = await (await route.fetch()).json();
      for (const track of catalog.tracks) if (track.id === TRACK) track.loudness = { integrated_lufs: -10, true_peak_dbtp: -0.5 };
      // Every track packaged today has figures: the other one is made to have none.
      for (const track of catalog.tracks) if (track.id === OTHER) delete track.loudness;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(catalog) });
    });
    await startPlaying();
    expect(await page.locator('[data-field="gain"]').textContent()).toBe('-6.0 dB');
    const factor = () => page.evaluate(() => (window as unknown as WithHook).hlsaudioPlayer.loudnessFactor());
    expect(await factor()).toBe(1);
    await page.getByLabel('Normalise loudness').check();
    expect(await factor()).toBeCloseTo(10 ** (-6 / 20), 6);
    const before = (await state()).time;
    await waitFor('playback through the gain', async () => (await state()).time > before + 1);
    await page.locator(`#catalog button[data-track="${OTHER}"]`).click();
    await expect.poll(() => page.locator('[data-field="gain"]').textContent()).toBe('no loudness figures');
    expect(await factor()).toBe(1);
    await page.getByLabel('Normalise loudness').uncheck();
    expect(await factor()).toBe(1);
  });

  it.each([
    ['network', 'networkError', 'fragLoadError'],
    ['media', 'mediaError', 'bufferAppendError'],
  ])('recovers from a fatal hls.js %s error without showing it', async (_kind, type, details) => {
    await startPlaying();
    const before = await state();
    await page.evaluate(([type, details]) => (window as unknown as WithHook).hlsaudioPlayer.playback.hls!.trigger('hlsError', { type, details, fatal: true }), [type, details]);
    await playsPastBuffer(`recovery from ${type}`, before);
    expect(await errorLine()).toBe('');
    expect(await serverPlayback()).toMatchObject({ track_id: TRACK, state: 'playing' });
  });

  it('starts a track again with its counters at zero: its first fragment is no switch', async () => {
    await startPlaying();
    const initial = (await sessionOfPage()).initial_profile.quality_id;
    const other = ['mobile', 'medium', 'high'].find((quality) => quality !== initial)!;
    await page.selectOption('#quality', other);
    await waitFor(`${other} to play`, async () => (await state()).variant === other);
    await page.locator(`#catalog button[data-track="${TRACK}"]`).click();
    await waitFor('the track to start again', async () => {
      const now = await state();
      return !now.paused && now.time > 0.2 && now.time < 5;
    });
    expect(await snapshot()).toMatchObject({ variant: initial, mode: 'auto', switches: 0, rebuffers: 0 });
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
  });

  it('shows a fatal hls.js error that recovery does not fix', async () => {
    await startPlaying();
    await page.evaluate(() => {
      const { playback } = (window as unknown as WithHook).hlsaudioPlayer;
      for (let i = 0; i < 4; i++) playback.hls!.trigger('hlsError', { type: 'networkError', details: 'fragLoadError', fatal: true });
    });
    expect(await errorLine()).toBe('Playback error: networkError: fragLoadError (still failing after 3 recovery attempts)');
    await page.locator(`#catalog button[data-track="${TRACK}"]`).click(); // a new start
    await waitFor('playback to start again', async () => {
      const now = await state();
      return !now.paused && now.time > 0.5 && now.time < 5;
    });
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    expect(await errorLine()).toBe('');
  });

  /** Restarts the server on its port; the browser's refused connections meanwhile are expected. */
  async function restartServer(): Promise<void> {
    const port = server.port;
    const from = Date.now();
    await server.stop();
    await waitFor('the page to see the connection drop', async () => (await state()).ws !== 'open', 15_000);
    await page.evaluate(() => document.querySelector('#events')!.replaceChildren());
    server = await startServe(out, ['--port', String(port)]);
    await waitFor('the page to reconnect', async () => (await state()).ws === 'open', 30_000);
    expectedProblems.push({ pattern: RESTART_PROBLEMS, from, to: Date.now() + 1000 });
  }

  it('reconnects when the server restarts (a new boot_id), and plays on where it was on a new session', async () => {
    await startPlaying();
    const sessionBefore = (await sessionOfPage()).session_id;
    await restartServer();
    // The new server has the play again, where the audio is, and the listener in its LiveStats…
    await expect.poll(serverPlayback, { timeout: 15_000 }).toMatchObject({ track_id: TRACK, state: 'playing' });
    const [held, { time }] = [(await serverPlayback())!, await state()];
    expect(Math.abs(held.position_ms / 1000 - time)).toBeLessThan(1.5);
    await expect.poll(() => page.locator('[data-field="listeners"]').textContent(), { timeout: 15_000 }).toBe('1');
    // …the progress Seeks succeed again…
    await expect.poll(() => page.locator('#events li[data-event="PlaybackProgress"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // …and the session the old server kept in memory was made again (its metrics would get 404s).
    const sessionAfter = (await sessionOfPage()).session_id;
    expect(sessionAfter).not.toBe(sessionBefore);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/streaming/session/${sessionAfter}`)).status).toBe(200);
    await playsPastBuffer('after the restart');
  });

  it('keeps a paused track paused across a restart', async () => {
    await startPlaying();
    await page.click('#play');
    await waitFor('pause', async () => (await state()).paused);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'paused' });
    await restartServer();
    await expect.poll(serverPlayback, { timeout: 15_000 }).toMatchObject({ track_id: TRACK, state: 'paused' });
    const [held, { time }] = [(await serverPlayback())!, await state()];
    expect(Math.abs(held.position_ms / 1000 - time)).toBeLessThan(0.1);
    expect((await state()).paused).toBe(true);
    await page.click('#play');
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
  });

  it('keeps playing, and shows nothing, when the server refuses a quality report', async () => {
    await startPlaying();
    const from = Date.now();
    await page.route('**/api/streaming/session/*/quality', (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'E_FIELD', message: 'Expected no `reason`' }) }),
    );
    await page.selectOption('#quality', 'mobile');
    await waitFor('mobile to play', async () => (await state()).variant === 'mobile');
    expect(qualityReports(from)).toEqual([{ quality: 'mobile', adaptive_enabled: false, reason: 'user' }]);
    expect((await state()).paused).toBe(false);
    expect(await errorLine()).toBe('');
    // The browser itself logs the refused request; the page logs nothing.
    expectedProblems.push({ pattern: /the server responded with a status of 400/, from, to: Date.now() });
  });
});
