import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { runCli } from '../helpers/cli.js';
import { type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * hls.js (the version the package depends on, which the page bundles) in Debian's Chromium on the AAC ladder
 * in fMP4: it plays, switches among the three variants (each switch fetching that variant's byte
 * ranges and playing past what was buffered before it), and Chromium's MSE honours the edit list:
 * the buffered audio ends at the source's length, not a frame later.
 */
const TRACK = 'groove';
const SECONDS = 24;
const root = tempDir();
const out = join(root, 'out');
let server: RunningServer;
let browser: Browser;
let page: Page;
const mediaRequests: { path: string; at: number }[] = [];

beforeAll(async () => {
  const source = makeMusic(SECONDS, join(root, `${TRACK}.wav`));
  const packaged = await runCli(['package', source, '-o', out, '--container', 'fmp4', '--only', 'high,medium,mobile', '--segment-duration', '2', '--quiet']);
  expect(packaged.code).toBe(0);
  server = await startServe(out);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
  page = await browser.newPage();
  // The page bundles hls.js; this test drives hls.js alone, handed to the browser from the package's dependency.
  const hlsModule = join(dirname(createRequire(import.meta.url).resolve('hls.js/package.json')), 'dist', 'hls.min.mjs');
  await page.route('**/test-vendor/hls.min.mjs', (route) => route.fulfill({ path: hlsModule, contentType: 'text/javascript' }));
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.mp4')) mediaRequests.push({ path, at: Date.now() });
  });
});

afterAll(async () => {
  await browser?.close();
  await stopServers();
});

/** Loads hls.js on the server's origin with a master and waits for the manifest. */
async function load(maxBufferLength: number): Promise<void> {
  await page.goto(`http://127.0.0.1:${server.port}/healthz`);
  // A module script, since vitest rewrites an import() written inside page.evaluate.
  await page.addScriptTag({ type: 'module', content: "import Hls from '/test-vendor/hls.min.mjs'; window.Hls = Hls;" });
  await page.waitForFunction(() => 'Hls' in window);
  await page.evaluate(
    async ({ master, maxBufferLength }) => {
      const Hls = (window as unknown as { Hls: any }).Hls;
      const audio = document.createElement('audio');
      document.body.append(audio);
      const hls = new Hls({ maxBufferLength, maxMaxBufferLength: maxBufferLength });
      const state = { hls, audio, errors: [] as string[], playing: undefined as string | undefined, eos: false, Hls };
      (window as unknown as { t: typeof state }).t = state;
      hls.on(Hls.Events.ERROR, (_event: unknown, data: { details: string; fatal: boolean }) => state.errors.push(`${data.details}${data.fatal ? ' (fatal)' : ''}`));
      hls.on(Hls.Events.FRAG_CHANGED, (_event: unknown, data: { frag: { url: string } }) => (state.playing = new URL(data.frag.url).pathname));
      hls.on(Hls.Events.BUFFER_EOS, () => (state.eos = true));
      const parsed = new Promise((resolve) => hls.on(Hls.Events.MANIFEST_PARSED, resolve));
      hls.loadSource(master);
      hls.attachMedia(audio);
      await parsed;
    },
    { master: `/hls/${TRACK}/master.m3u8`, maxBufferLength },
  );
}

const state = () =>
  page.evaluate(() => {
    const { audio, playing, errors, eos } = (window as unknown as { t: { audio: HTMLAudioElement; playing?: string; errors: string[]; eos: boolean } }).t;
    const end = audio.buffered.length ? audio.buffered.end(audio.buffered.length - 1) : 0;
    return { time: audio.currentTime, paused: audio.paused, bufferedEnd: end, playing, errors, eos, duration: audio.duration };
  });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${JSON.stringify(await state())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('hls.js in Chromium on the fMP4 AAC ladder', () => {
  it('buffers exactly the source\'s length: Chromium applies the edit list (priming and end padding cut)', async () => {
    await load(60);
    await waitFor('the whole track buffered', async () => (await state()).eos);
    const { bufferedEnd, errors } = await state();
    expect(errors).toEqual([]);
    // Without the edit list the highest variant would end 1024 samples (23 ms) later.
    expect(Math.abs(bufferedEnd - SECONDS)).toBeLessThan(0.001);
  });

  it('plays and switches to each variant, fetching its byte ranges and playing past what was buffered before', async () => {
    await load(4);
    await page.evaluate(async () => {
      const { audio } = (window as unknown as { t: { audio: HTMLAudioElement } }).t;
      audio.muted = true;
      audio.playbackRate = 2;
      await audio.play();
    });
    await waitFor('playback', async () => (await state()).time > 1);
    const levels = await page.evaluate(() => (window as unknown as { t: { hls: { levels: { url: string[] }[] } } }).t.hls.levels.map((level) => new URL(level.url[0]!).pathname));
    const info = JSON.parse(readFileSync(join(out, TRACK, 'track.json'), 'utf8')) as TrackInfo;
    const fileOf = (quality: string, key: 'playlist' | 'file') => `/hls/${TRACK}/${info.variants.find((v) => v.quality_id === quality)![key]}`;
    expect(levels.sort()).toEqual([fileOf('high', 'playlist'), fileOf('medium', 'playlist'), fileOf('mobile', 'playlist')]);
    for (const level of levels) expect(level).toMatch(/\/playlist\.[0-9a-f]{12}\.m3u8$/);
    for (const quality of ['mobile', 'high', 'medium']) {
      const before = await state();
      const askedAt = Date.now();
      await page.evaluate((q) => {
        const { hls } = (window as unknown as { t: { hls: { levels: { url: string[] }[]; currentLevel: number } } }).t;
        hls.currentLevel = hls.levels.findIndex((level) => level.url[0]!.includes(`/${q}/`));
      }, quality);
      const media = fileOf(quality, 'file');
      expect(media).toMatch(/\/audio\.[0-9a-f]{12}\.mp4$/);
      await waitFor(`byte ranges of ${media}`, async () => mediaRequests.some((r) => r.at >= askedAt && r.path === media));
      await waitFor(`playback past ${before.bufferedEnd.toFixed(1)} s on ${quality}`, async () => {
        const now = await state();
        if (now.time > 20) await page.evaluate(() => ((window as unknown as { t: { audio: HTMLAudioElement } }).t.audio.currentTime = 2));
        return !now.paused && now.playing === media && now.time > before.bufferedEnd + 0.3;
      });
    }
    expect((await state()).errors).toEqual([]);
  });
});
