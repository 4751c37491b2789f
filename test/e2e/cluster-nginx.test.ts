import { join } from 'node:path';
import { SignJWT } from 'jose';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeMusic } from '../../fixtures/make-fixtures.js';
import type { ServerEvent } from '../../src/realtime/protocol.js';
import { runCli } from '../helpers/cli.js';
import { type NginxServer, startNginx } from '../helpers/nginx.js';
import { TestClient } from '../helpers/realtime.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { request, type RawResponse, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A cluster as a platform runs it: redis-server, two `serve --redis` nodes and Debian's nginx in
 * front of them (round robin, WebSocket upgrades proxied), all real and started here. Every property
 * is one `it` on the one shared setup; nginx names the node behind each answer (`X-Upstream`), and
 * `nodeOf` turns that into 'a' or 'b'. A test that stops a node starts it again on the same port.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const ENV = { HLSAUDIO_JWT_SECRET: SECRET };
/** nginx leaves a failed node out this long; short, so that a restarted node is back in the tests' time. */
const FAIL_TIMEOUT_SEC = 2;
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
const TRACK = 'groove';
const root = tempDir();
const out = join(root, 'out');

type NodeName = 'a' | 'b';
let redis: RedisServer;
let nginx: NginxServer;
const nodes = {} as Record<NodeName, RunningServer>;
const dataDirs = { a: tempDir('hlsaudio-node-a-'), b: tempDir('hlsaudio-node-b-') };

/** Starts node `name` (again, on its former port when it had one). */
async function startNode(name: NodeName, port?: number): Promise<RunningServer> {
  const args = ['--redis', redis.url, '--data-dir', dataDirs[name], '--db', join(dataDirs[name], 'analytics.db')];
  nodes[name] = await startServe(out, port === undefined ? args : [...args, '--port', String(port)], ENV);
  return nodes[name];
}

/** Which node gave an answer through nginx (its `X-Upstream` header, the last address nginx tried). */
function nodeOf(headers: Record<string, string | string[] | undefined>): NodeName {
  const upstream = String(headers['x-upstream'] ?? '').split(', ').pop();
  const name = (Object.keys(nodes) as NodeName[]).find((each) => upstream === `127.0.0.1:${nodes[each].port}`);
  if (!name) throw new Error(`no node behind X-Upstream ${upstream}`);
  return name;
}

function viaNginx(method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<RawResponse> {
  return request(nginx.port, method, path, options);
}

function token(subject: string, scope?: string): Promise<string> {
  return new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
}

/** A WebSocket through nginx, with the node it reached. */
async function connectViaNginx(user: string, scope?: string): Promise<{ client: TestClient; node: NodeName }> {
  const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}/api/ws?token=${await token(user, scope)}`);
  const client = new TestClient(socket);
  const node = await new Promise<NodeName>((resolve, reject) => {
    let reached: NodeName | undefined;
    socket.once('upgrade', (response) => (reached = nodeOf(response.headers)));
    socket.once('open', () => resolve(reached!));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} from ${res.headers['x-upstream']}`)));
    socket.once('error', reject);
  });
  return { client, node };
}

/** One client through nginx on each node (round robin; retried while nginx leaves a restarted node out). */
async function clientOnEachNode(user: string, scope?: string): Promise<Record<NodeName, TestClient>> {
  const found: Partial<Record<NodeName, TestClient>> = {};
  const extra: TestClient[] = [];
  const deadline = Date.now() + (FAIL_TIMEOUT_SEC + 5) * 1000;
  while (!(found.a && found.b)) {
    if (Date.now() > deadline) throw new Error(`nginx sent every connection to one node: ${Object.keys(found)}`);
    const { client, node } = await connectViaNginx(user, scope);
    if (found[node]) extra.push(client);
    else found[node] = client;
  }
  await Promise.all(extra.map((client) => client.close()));
  return found as Record<NodeName, TestClient>;
}

afterAll(stopServers);
beforeAll(async () => {
  const packaged = runCli(['package', makeMusic(12, join(root, `${TRACK}.wav`)), '-o', out, '--segment-duration', '2', '--quiet']);
  redis = await startRedis();
  expect((await packaged).code).toBe(0);
  await Promise.all([startNode('a'), startNode('b')]);
  nginx = await startNginx({ upstreams: [nodes.a.port, nodes.b.port], failTimeoutSec: FAIL_TIMEOUT_SEC });
});

describe('two serve nodes behind nginx, on one Redis', () => {
  it('balances plain HTTP over both nodes, with no stickiness', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => viaNginx('GET', '/healthz')));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => nodeOf(answer.headers)))).toEqual(new Set(['a', 'b']));
    // Two processes, as /healthz's boot_id says too.
    expect(new Set(answers.map((answer) => answer.json().boot_id)).size).toBe(2);
  });

  it('plays the player page through nginx in Chromium', async () => {
    const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      const media: { status: number; node: NodeName }[] = [];
      page.on('response', (response) => {
        if (response.request().headers().range) media.push({ status: response.status(), node: nodeOf(response.headers()) });
      });
      await page.goto(`${nginx.url}/?buffer=4&user_id=nginx-listener&token=${await token('nginx-listener')}`);
      await page.locator(`#catalog button[data-track="${TRACK}"]`).click();
      await expect.poll(() => page.evaluate(() => document.querySelector('audio')!.currentTime), { timeout: 30_000 }).toBeGreaterThan(1);
      // The page's WebSocket, through nginx too, told a node that it plays.
      const playback = () => page.evaluate(() => (window as unknown as { hlsaudioPlayer: { serverPlayback(): Promise<unknown> } }).hlsaudioPlayer.serverPlayback().catch(() => undefined));
      await expect.poll(playback, { timeout: 10_000 }).toMatchObject({ track_id: TRACK, state: 'playing' });
      expect(media.length).toBeGreaterThan(0);
      expect(media.every((answer) => answer.status === 206)).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('delivers a broadcast published through nginx to clients on both nodes', async () => {
    const clients = await clientOnEachNode('dashboard', 'events:read-all');
    for (const client of Object.values(clients)) expect((await client.command({ command: 'Subscribe', events: ['TrackLiked'], filters: {} })).success).toBe(true);
    const liked: ServerEvent = { event: 'TrackLiked', track_id: TRACK, user_id: 'fan', total_likes: 7 };
    const published = await viaNginx('POST', '/api/events', {
      headers: { authorization: `Bearer ${await token('publisher', 'events:publish')}`, 'content-type': 'application/json' },
      body: JSON.stringify([liked]),
    });
    expect(published.status, published.body.toString()).toBe(202);
    for (const client of Object.values(clients)) expect(await client.waitFor((event) => event.event === 'TrackLiked', 5000)).toEqual(liked);
    await Promise.all(Object.values(clients).map((client) => client.close()));
  });

  it('keeps serving through nginx from the other node after kill -9 of one', async () => {
    const { port } = nodes.b;
    nodes.b.child.kill('SIGKILL');
    await nodes.b.stop();
    // nginx meets the refused node, passes the request to the other one and leaves it out for fail_timeout.
    const answers = await Promise.all(Array.from({ length: 8 }, () => viaNginx('GET', `/hls/${TRACK}/master.m3u8`)));
    expect(answers.map((answer) => [answer.status, nodeOf(answer.headers)])).toEqual(Array.from({ length: 8 }, () => [200, 'a']));
    const { client, node } = await connectViaNginx('survivor');
    expect(node).toBe('a');
    expect((await client.command({ command: 'Ping' })).success).toBe(true);
    await client.close();
    expect(nginx.errorLog()).toMatch(/connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
    // Back as it was for whatever runs next: node b again, and in nginx's rotation once fail_timeout is over.
    await startNode('b', port);
    const deadline = Date.now() + (FAIL_TIMEOUT_SEC + 5) * 1000;
    while (nodeOf((await viaNginx('GET', '/healthz')).headers) !== 'b') {
      if (Date.now() > deadline) throw new Error('nginx did not take node b back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
