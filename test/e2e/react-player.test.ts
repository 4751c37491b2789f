import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A small React app on `hlsaudio/react` (bundled here by esbuild from the built package, as an app
 * would import it), in Chromium, against a real `hlsaudio serve`. The app is served from another
 * origin (a static server of the test's own), as an app would be: it reaches `serve` through
 * `baseUrl` (CORS) and its event server by URL.
 */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
const TRACK = 'groove';
const USER = 'react-listener';
const root = tempDir();
const out = join(root, 'out');
let server: RunningServer;
let browser: Browser;
let page: Page;
let bundle: string;
let appServer: Server;
/** Commands the page sent on /api/ws, in order, with when. */
const commands: { command: string; at: number; [field: string]: unknown }[] = [];
const problems: string[] = [];

const APP = `
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { AdaptiveAudioPlayer, useWebSocket } from 'hlsaudio/react';

const SERVER = window.hlsaudioServer;

/** A second, independent connection with useWebSocket: its status and the listener's own events. */
function Listener() {
  const { connectionStatus, events, connect, disconnect } = useWebSocket({ url: SERVER.replace('http', 'ws') + '/api/ws' });
  useEffect(() => {
    connect('${USER}-watcher');
    return disconnect;
  }, [connect, disconnect]);
  return <p id="watcher" data-status={connectionStatus}>{events.length} events</p>;
}

createRoot(document.getElementById('root')).render(
  <>
    <AdaptiveAudioPlayer trackId="${TRACK}" userId="${USER}" bufferSec={4} baseUrl={SERVER} />
    <Listener />
  </>,
);
`;

const audioState = () =>
  page.evaluate(() => {
    const audio = document.querySelector('audio')!;
    // The end of the buffered range that holds the play head (a seek back leaves later ranges behind).
    let bufferedEnd = audio.currentTime;
    for (let i = 0; i < audio.buffered.length; i++) if (audio.buffered.start(i) <= audio.currentTime + 0.1 && audio.currentTime <= audio.buffered.end(i)) bufferedEnd = audio.buffered.end(i);
    return { time: audio.currentTime, paused: audio.paused, bufferedEnd };
  });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; audio ${JSON.stringify(await audioState())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const source = makeMusic(48, join(root, `${TRACK}.wav`));
  const [packaged, built] = await Promise.all([
    // Three variants are enough (one of each codec family to switch between), and quicker to encode than four.
    runCli(['package', source, '-o', out, '--segment-duration', '2', '--only', 'medium,mobile,low', '--quiet']),
    (async () => {
      // Inside the package's folder, so that `hlsaudio/react` resolves to the package itself (its exports).
      const appDir = join(ROOT, 'test-output', 'react-app');
      mkdirSync(appDir, { recursive: true });
      writeFileSync(join(appDir, 'app.jsx'), APP);
      const result = await build({ entryPoints: [join(appDir, 'app.jsx')], bundle: true, format: 'esm', jsx: 'automatic', write: false, define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'silent' });
      return result.outputFiles[0]!.text;
    })(),
  ]);
  expect(packaged.code).toBe(0);
  bundle = built;
  server = await startServe(out);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  page = await browser.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      const message = JSON.parse(String(payload)) as { command: string };
      commands.push({ ...message, at: Date.now() });
    }),
  );
  const html = `<!doctype html><meta charset="utf-8"><title>app</title><div id="root"></div><script>window.hlsaudioServer = 'http://127.0.0.1:${server.port}';</script><script type="module" src="app.js"></script>`;
  appServer = createServer((req, res) => {
    const script = req.url === '/app.js';
    res.writeHead(200, { 'Content-Type': script ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(script ? bundle : html);
  });
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  await page.goto(`http://127.0.0.1:${(appServer.address() as AddressInfo).port}/`);
});

afterAll(async () => {
  await browser?.close();
  appServer?.close();
  await stopServers();
});

describe('hlsaudio/react in a browser', () => {
  it('shows the connection status of both hooks, plays on Play, and tells the server Play', async () => {
    await expect.poll(() => page.locator('#watcher').getAttribute('data-status')).toBe('connected');
    await page.getByRole('button', { name: 'Play' }).click();
    await waitFor('playback', async () => (await audioState()).time > 0.5);
    await expect.poll(() => page.locator('.connection-status').textContent()).toBe('WebSocket: connected');
    await expect.poll(() => page.locator('.current-quality').getAttribute('data-quality')).toMatch(/^(high|medium|mobile)$/);
    expect(await page.locator('.current-quality').textContent()).toMatch(/^Playing: (high|medium|mobile) \(auto\)$/);
    await expect.poll(() => commands.filter((c) => c.command === 'Play')).toEqual([expect.objectContaining({ track_id: TRACK, start_position_ms: expect.any(Number) })]);
    // The component's own event log, in readable lines.
    await expect.poll(() => page.locator('.events-log li[data-event="PlaybackStarted"]').first().textContent()).toBe(`${USER} started ${TRACK}`);
    await expect.poll(() => page.getByRole('button', { name: 'Pause' }).count()).toBe(1);
  });

  it('sends progress as a Seek every 5 s while playing, not on every timeupdate', async () => {
    const from = Date.now();
    await page.evaluate(() => {
      const audio = document.querySelector('audio')!;
      audio.playbackRate = 2;
    });
    await page.waitForTimeout(11_000);
    const seeks = commands.filter((c) => c.command === 'Seek' && c.at >= from);
    // 11 s of playing: two or three progress Seeks (timeupdate fires about 4 times a second).
    expect(seeks.length).toBeGreaterThanOrEqual(2);
    expect(seeks.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < seeks.length; i++) expect(seeks[i]!.at - seeks[i - 1]!.at).toBeGreaterThanOrEqual(4500);
  });

  it('switches quality from its selector, to the other codec family too, and shows what plays', async () => {
    for (const quality of ['mobile', 'low']) {
      const before = await audioState();
      await page.getByLabel('Quality', { exact: true }).selectOption(quality);
      await expect.poll(() => page.locator('.current-quality').getAttribute('data-quality'), { timeout: 20_000 }).toBe(quality);
      expect(await page.locator('.current-quality').textContent()).toBe(`Playing: ${quality}`);
      await waitFor(`${quality} past what was buffered before`, async () => {
        const now = await audioState();
        return !now.paused && now.time > before.bufferedEnd + 0.3;
      });
    }
    await page.getByLabel('Quality', { exact: true }).selectOption('auto');
    await expect.poll(() => page.locator('.current-quality').textContent(), { timeout: 20_000 }).toMatch(/^Playing: (high|medium|mobile) \(auto\)$/);
  });

  it('pauses and plays from its button, and seeks from its slider with one Seek', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => commands.at(-1)).toMatchObject({ command: 'Pause', track_id: TRACK });
    expect((await audioState()).paused).toBe(true);
    const from = Date.now();
    const slider = page.getByLabel('Position');
    await slider.focus();
    await slider.fill('10'); // back, into what was played
    await slider.blur();
    await expect.poll(() => commands.filter((c) => c.at >= from && c.command === 'Seek')).toEqual([expect.objectContaining({ track_id: TRACK, position_ms: 10_000 })]);
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => commands.at(-1)).toMatchObject({ command: 'Play', track_id: TRACK, start_position_ms: expect.any(Number) });
    await waitFor('playback from 10 s', async () => {
      const now = await audioState();
      return !now.paused && now.time > 10.5 && now.time < 20;
    });
  });

  it('logged no console error and no page error', () => {
    expect(problems).toEqual([]);
  });
});
