import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The player page in Debian's Chromium, driven by playwright-core, against `hlsaudio serve` on a
 * packaged track cut into 2 s segments, with hls.js told to buffer only 4 s ahead (`?buffer=4`):
 * "still playing" proves nothing while hls.js plays what it buffered before a switch, so each
 * switch must be followed by that variant's own byte ranges and by playback passing the end of what
 * was buffered when the switch was asked for.
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
const TRACK = 'groove';
const OTHER = 'ballad';
const root = tempDir();
const out = join(root, 'out');
let server: RunningServer;
let browser: Browser;
let page: Page;
const requests: { url: string; method: string; body: string | null; range: string | undefined; at: number }[] = [];
const problems: { text: string; at: number }[] = [];
/** Console messages a test caused on purpose, each allowed only within its time window. */
const expectedProblems: { pattern: RegExp; from: number; to: number }[] = [];
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
}

const state = (): Promise<State> =>
  page.evaluate(() => {
    const audio = document.querySelector('audio')!;
    const { buffered } = audio;
    const snapshot = (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.playback.snapshot();
    return {
      time: audio.currentTime,
      paused: audio.paused,
      bufferedEnd: buffered.length ? buffered.end(buffered.length - 1) : 0,
      variant: snapshot.variant,
      ws: document.querySelector('[data-field="ws"]')!.textContent!,
      rate: audio.playbackRate,
    };
  });

const snapshot = (): Promise<Snapshot> => page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.playback.snapshot());

/** GetStatus on the page's own connection; undefined while the connection is not ready. */
const serverPlayback = (): Promise<ServerPlayback | null | undefined> =>
  page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.serverPlayback().catch(() => undefined));

const seekTo = (seconds: number) => page.evaluate((s) => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.seekTo(s), seconds);

/** The bodies of `PUT …/quality` the page sent since `since`. */
const qualityReports = (since: number) =>
  requests.filter((r) => r.at >= since && r.method === 'PUT' && r.url.endsWith('/quality')).map((r) => JSON.parse(r.body ?? 'null') as Record<string, unknown>);

const errorLine = () => page.evaluate(() => { const box = document.querySelector<HTMLElement>('#error')!; return box.hidden ? '' : box.textContent; });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page state ${JSON.stringify(await state())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The tests play at double speed through a 48 s track: back to the start before it ends (which would end the play). */
async function rewindNearEnd(): Promise<void> {
  if ((await state()).time > 36) await seekTo(4);
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

beforeAll(async () => {
  const source = makeMusic(48, join(root, `${TRACK}.wav`));
  const other = makeMusic(12, join(root, `${OTHER}.wav`));
  const packaged = await runCli(['package', source, other, '-o', out, '--segment-duration', '2', '--quiet']);
  expect(packaged.code).toBe(0);
  server = await startServe(out);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  page = await browser.newPage();
  page.on('request', (request: Request) =>
    requests.push({ url: request.url(), method: request.method(), body: request.postData(), range: request.headers().range, at: Date.now() }),
  );
  page.on('console', (message) => message.type() === 'error' && problems.push({ text: `console: ${message.text()}`, at: Date.now() }));
  page.on('pageerror', (error) => problems.push({ text: `page error: ${error.message}`, at: Date.now() }));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stopServers();
});

describe('the player page', () => {
  it('lists the catalog, plays the chosen track and shows the events received', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/?buffer=4&user_id=browser-test`);
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
    await setRate(2);
  });

  it.each([
    ['mobile', 'aac', false],
    ['medium', 'aac', false],
    ['low', 'mp3', true],
    ['high', 'aac', true],
  ])('keeps playing after a forced switch to %s: its own byte ranges are fetched and playback passes what was buffered before', async (quality, extension, otherFamily) => {
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
    await rewindNearEnd();
  });

  it('tells the session, in Auto, the variant hls.js plays', async () => {
    await page.selectOption('#quality', 'low');
    await waitFor('low to play', async () => (await state()).variant === 'low');
    await rewindNearEnd();
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
    const sessionId = await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.session()!.session_id);
    const session = await (await fetch(`http://127.0.0.1:${server.port}/api/streaming/session/${sessionId}`)).json();
    expect(session.current_quality).toBe(playing);
    await rewindNearEnd();
  });

  it('stays paused through a switch of codec family made while paused, and the server agrees', async () => {
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
    await rewindNearEnd();
  });

  it('tells the server of a pause and a play that did not come from the page (a media key)', async () => {
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
    await seekTo(4);
    await page.click('#play');
    await waitFor('play', async () => !(await state()).paused);
  });

  it('reports the play to the analytics once the listener leaves', async () => {
    await page.screenshot({ path: join(SCREENSHOTS, 'player.png'), fullPage: true });
    await page.goto('about:blank'); // closes the WebSocket: the play ends
    await expect
      .poll(async () => {
        const summary = await (await fetch(`http://127.0.0.1:${server.port}/api/analytics/summary`)).json();
        return summary.tracks?.find((track: { track_id: string }) => track.track_id === TRACK);
      }, { timeout: 15_000 })
      .toMatchObject({ track_id: TRACK, plays: 1, ended_plays: 1 });
    const details = await (await fetch(`http://127.0.0.1:${server.port}/api/analytics/tracks/${TRACK}`)).json();
    expect(details.totals.listened_ms).toBeGreaterThan(5000);
    // The forced switches played several variants; the analytics saw them as quality switches.
    expect(details.quality_distribution.length).toBeGreaterThan(1);
    expect(details.platforms).toEqual([expect.objectContaining({ platform: 'Web', plays: 1 })]);
    expect(details.totals.quality_switches).toBeGreaterThanOrEqual(4); // the four forced switches, told to the session
  });

  it('plays the last of two quick track choices, whatever order their sessions come back in', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/?buffer=4&user_id=browser-test`);
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
    expect(await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.playback.track?.id)).toBe(TRACK);
    expect(await page.locator('[data-field="title"]').textContent()).toBe(TRACK);
    expect(requests.some((r) => r.at >= chosenAt && r.url.includes(`/hls/${OTHER}/`))).toBe(false);
    await expect.poll(serverPlayback).toMatchObject({ track_id: TRACK, state: 'playing' });
    // The session of the choice overtaken is ended, not left to expire.
    expect(requests.some((r) => r.at >= chosenAt && r.method === 'DELETE' && r.url.includes('/api/streaming/session/'))).toBe(true);
  });

  it('works at phone width and from the keyboard', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`http://127.0.0.1:${server.port}/?buffer=4&user_id=browser-test`);
    await page.locator(`#catalog button[data-track="${TRACK}"]`).focus();
    await page.keyboard.press('Enter');
    await waitFor('playback to start', async () => (await state()).time > 0.5);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
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

  it.each([
    ['network', 'networkError', 'fragLoadError'],
    ['media', 'mediaError', 'bufferAppendError'],
  ])('recovers from a fatal hls.js %s error without showing it', async (_kind, type, details) => {
    await setRate(2);
    await rewindNearEnd();
    const before = await state();
    await page.evaluate(
      ([type, details]) => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.playback.hls!.trigger('hlsError', { type, details, fatal: true }),
      [type, details],
    );
    await playsPastBuffer(`recovery from ${type}`, before);
    await setRate(1);
    expect(await errorLine()).toBe('');
    expect(await serverPlayback()).toMatchObject({ track_id: TRACK, state: 'playing' });
  });

  it('starts a track again with its counters at zero: its first fragment is no switch', async () => {
    const initial = await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.session()!.initial_profile.quality_id);
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
    await page.evaluate(() => {
      const { playback } = (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer;
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

  it('reconnects when the server restarts, and plays on where it was', async () => {
    const sessionBefore = await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.session()!.session_id);
    await restartServer();
    // The new server has the play again, where the audio is, and the listener in its LiveStats…
    await expect.poll(serverPlayback, { timeout: 15_000 }).toMatchObject({ track_id: TRACK, state: 'playing' });
    const [held, { time }] = [(await serverPlayback())!, await state()];
    expect(Math.abs(held.position_ms / 1000 - time)).toBeLessThan(1.5);
    await expect.poll(() => page.locator('[data-field="listeners"]').textContent(), { timeout: 15_000 }).toBe('1');
    // …the progress Seeks succeed again…
    await expect.poll(() => page.locator('#events li[data-event="PlaybackProgress"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // …and the session the old server kept in memory was made again (its metrics would get 404s).
    const sessionAfter = await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.session()!.session_id);
    expect(sessionAfter).not.toBe(sessionBefore);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/streaming/session/${sessionAfter}`)).status).toBe(200);
    await playsPastBuffer('after the restart');
  });

  it('keeps a paused track paused across a restart', async () => {
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

  it('tolerates a server that refuses the quality report\'s newer fields', async () => {
    const from = Date.now();
    await page.route('**/api/streaming/session/*/quality', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if ('reason' in body || 'adaptive_enabled' in body) {
        return route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'E_FIELD', message: 'Expected no `reason`' }) });
      }
      return route.continue();
    });
    await page.selectOption('#quality', 'mobile');
    await expect.poll(() => qualityReports(from)).toEqual([{ quality: 'mobile', adaptive_enabled: false, reason: 'user' }, { quality: 'mobile' }]);
    const second = Date.now();
    await page.selectOption('#quality', 'medium');
    await expect.poll(() => qualityReports(second)).toEqual([{ quality: 'medium' }]);
    await page.unroute('**/api/streaming/session/*/quality');
    const sessionId = await page.evaluate(() => (window as unknown as { hlsaudioPlayer: PlayerHook }).hlsaudioPlayer.session()!.session_id);
    const session = await (await fetch(`http://127.0.0.1:${server.port}/api/streaming/session/${sessionId}`)).json();
    expect(session.current_quality).toBe('medium');
    expect(await errorLine()).toBe('');
    // The browser itself logs the one refused request; the page logs nothing.
    expectedProblems.push({ pattern: /the server responded with a status of 400/, from, to: Date.now() });
    expect(problems.filter((problem) => problem.at >= from && !/status of 400/.test(problem.text))).toEqual([]);
  });

  it('logged no console error and no page error', () => {
    // Only what a test caused on purpose, and only while it did: anything else fails.
    const unexpected = problems.filter((problem) => !expectedProblems.some((expected) => problem.at >= expected.from && problem.at <= expected.to && expected.pattern.test(problem.text)));
    expect(unexpected.map((problem) => problem.text)).toEqual([]);
  });
});
