import { request as httpRequest } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TrustedProxies } from '../../src/trusted-proxies.js';
import { runCli } from '../helpers/cli.js';
import { type NginxServer, startNginx } from '../helpers/nginx.js';
import { TestClient, until } from '../helpers/realtime.js';
import { OUT, type StartedApp, startApp, TRACK } from '../helpers/serve-app.js';
import { startServe, stopServers } from '../helpers/serve.js';

/**
 * `serve --trust-proxy` behind Debian's nginx, which sets `X-Forwarded-For $proxy_add_x_forwarded_for`
 * as README "Running several nodes" says. Loopback holds every 127.x.y.z address, so clients that bind
 * 127.0.0.2 and 127.0.0.3 are two clients through one nginx at 127.0.0.1. Small per-address limits
 * make each quota a few requests: with nginx trusted, client .2 at its quota is refused while .3 gets
 * in; without the option both share nginx's quota; a client straight to the node forging the header
 * is counted by its own address.
 */
const LIMITS = { streaming: { maxSessionsPerAddress: 1 }, realtime: { wsMaxConnectionsPerAddress: 2, playlistMaxPerAddress: 1 } };
const NGINX_ADDRESS = '127.0.0.1';
const CAPABILITIES = { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' };
const QUOTA_REFUSAL = { status: 429, body: { error: 'E_QUOTA', message: 'this address holds its maximum of 2 connections without a token; close one first' } };

const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await stopServers();
});

type Refusal = { status: number; body: unknown };

/** A WebSocket from `localAddress` (a client of its own), or the refusal of its upgrade. */
function openWs(port: number, localAddress: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TestClient | Refusal> {
  const url = new URL(`ws://127.0.0.1:${port}/api/ws`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const socket = new WebSocket(url, { localAddress, headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      const client = new TestClient(socket);
      clients.push(client);
      resolve(client);
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      // nginx's own answers (a 502 when a node dropped its connection) are HTML.
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: res.headers['content-type']?.startsWith('application/json') ? (JSON.parse(body) as unknown) : body }));
    });
    socket.once('error', reject);
  });
}

async function opened(connection: Promise<TestClient | Refusal>): Promise<TestClient> {
  const result = await connection;
  if (!(result instanceof TestClient)) throw new Error(`upgrade refused: ${JSON.stringify(result)}`);
  return result;
}

/** The address the node recorded for a connection (GetStatus `ip_address`, what the analytics record too). */
async function recordedAddress(client: TestClient): Promise<string> {
  const response = await client.command({ command: 'GetStatus' });
  return (response.data as { connection: { ip_address: string } }).connection.ip_address;
}

/** POST /api/streaming/session from `localAddress`: the status. */
function createSession(port: number, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  const body = JSON.stringify({ track_id: TRACK, client_capabilities: CAPABILITIES });
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, localAddress, method: 'POST', path: '/api/streaming/session', agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A new playlist of `client`'s user: true when made, false when refused with E_QUOTA. */
async function makePlaylist(client: TestClient, playlistId: string): Promise<boolean> {
  const response = await client.command({ command: 'AddToPlaylist', playlist_id: playlistId, track_id: TRACK });
  if (!response.success) expect(response.data).toMatchObject({ code: 'E_QUOTA' });
  return response.success;
}

function portOf(started: StartedApp): number {
  return Number(new URL(started.base).port);
}

describe('serve --trust-proxy 127.0.0.1 behind nginx', () => {
  let node: StartedApp;
  let nginx: NginxServer;
  beforeAll(async () => {
    // maxConnectionsPerAddress 3: nginx opens more connections than that to the node below, for
    // the clients it carries; a client talking to the node directly is still held to 3.
    node = await startApp({ ...LIMITS, maxConnectionsPerAddress: 3, trustProxy: TrustedProxies.parse(NGINX_ADDRESS, '--trust-proxy') });
    nginx = await startNginx({ upstreams: [portOf(node)] });
  });

  it('says so at startup', () => {
    expect(node.app.notices).toContain('serve: clients are counted by X-Forwarded-For on connections from 127.0.0.1 (--trust-proxy)');
  });

  it('counts WebSocket connections, sessions and playlists per client behind nginx: .2 at its quota is refused, .3 still gets in', async () => {
    const two = [await opened(openWs(nginx.port, '127.0.0.2', { user_id: 'two-a' })), await opened(openWs(nginx.port, '127.0.0.2', { user_id: 'two-b' }))];
    expect(await openWs(nginx.port, '127.0.0.2')).toEqual(QUOTA_REFUSAL);
    const three = [await opened(openWs(nginx.port, '127.0.0.3', { user_id: 'three-a' })), await opened(openWs(nginx.port, '127.0.0.3'))];
    // Four event connections at once through nginx, all from its one address: its own are not capped per address.
    expect(await Promise.all([...two, ...three].map(recordedAddress))).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3']);

    expect(await createSession(nginx.port, '127.0.0.2')).toBe(201);
    expect(await createSession(nginx.port, '127.0.0.2')).toBe(429);
    expect(await createSession(nginx.port, '127.0.0.3')).toBe(201);

    expect(await makePlaylist(two[0]!, 'two-1')).toBe(true);
    expect(await makePlaylist(two[1]!, 'two-2')).toBe(false);
    expect(await makePlaylist(three[0]!, 'three-1')).toBe(true);
  });

  it('believes only the entry nginx wrote: a client that sends its own X-Forwarded-For through nginx is still itself', async () => {
    for (const forged of ['127.0.0.9', '10.9.9.9, 127.0.0.1', 'garbage']) {
      const client = await opened(openWs(nginx.port, '127.0.0.5', {}, { 'X-Forwarded-For': forged }));
      expect(await recordedAddress(client)).toBe('127.0.0.5');
      await client.close();
    }
  });

  it('ignores X-Forwarded-For from a client talking to the node directly: forged addresses share its one quota', async () => {
    const port = portOf(node);
    // Sessions first: each request's connection closes after its answer, within the TCP cap of 3.
    expect(await createSession(port, '127.0.0.4', { 'X-Forwarded-For': '127.0.0.20' })).toBe(201);
    expect(await createSession(port, '127.0.0.4', { 'X-Forwarded-For': '127.0.0.21' })).toBe(429);
    const direct = [await opened(openWs(port, '127.0.0.4', {}, { 'X-Forwarded-For': '127.0.0.20' })), await opened(openWs(port, '127.0.0.4', {}, { 'X-Forwarded-For': '127.0.0.21' }))];
    expect(await Promise.all(direct.map(recordedAddress))).toEqual(['127.0.0.4', '127.0.0.4']);
    expect(await openWs(port, '127.0.0.4', {}, { 'X-Forwarded-For': '127.0.0.22' })).toEqual(QUOTA_REFUSAL);
  });

  it('still caps the TCP connections of an address that is not trusted', async () => {
    const port = portOf(node);
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    const closedIndexes: number[] = [];
    for (let index = 0; index < 4; index++) {
      const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.6' });
      closed.push(new Promise((resolve) => socket.once('close', () => resolve(void closedIndexes.push(index)))));
      await new Promise((resolve) => socket.once('connect', resolve));
      sockets.push(socket);
    }
    // The server destroys the fourth as soon as it accepts it; the three others are still open then.
    await closed[3];
    expect(closedIndexes).toEqual([3]);
    for (const socket of sockets) socket.destroy();
  });
});

describe('serve without --trust-proxy behind nginx (as before)', () => {
  let node: StartedApp;
  let nginx: NginxServer;
  beforeAll(async () => {
    // No TCP cap per address here: nginx's connections would hit it first; the quotas are what differs.
    node = await startApp({ ...LIMITS, maxConnectionsPerAddress: 0 });
    nginx = await startNginx({ upstreams: [portOf(node)] });
  });

  it('counts every client as nginx: .2 at its quota takes .3\'s too', async () => {
    const two = [await opened(openWs(nginx.port, '127.0.0.2', { user_id: 'two-a' })), await opened(openWs(nginx.port, '127.0.0.2'))];
    expect(await recordedAddress(two[0]!)).toBe(NGINX_ADDRESS);
    expect(await openWs(nginx.port, '127.0.0.3')).toEqual(QUOTA_REFUSAL);
    expect(await createSession(nginx.port, '127.0.0.2')).toBe(201);
    expect(await createSession(nginx.port, '127.0.0.3')).toBe(429);
    expect(await makePlaylist(two[0]!, 'two-1')).toBe(true);
    await two[1]!.close();
    await until(() => node.app.realtime.manager.size === 1, 3000, 'the node to see the connection closed');
    const three = await opened(openWs(nginx.port, '127.0.0.3', { user_id: 'three-a' }));
    expect(await makePlaylist(three, 'three-1')).toBe(false);
  });
});

describe('hlsaudio serve --trust-proxy', () => {
  const EXPECTED = 'a comma-separated list of IP addresses, CIDR ranges such as 10.0.0.0/8, or loopback';

  it('refuses a bad entry (exit 2), naming the option or the variable and the entry', async () => {
    const bad = await runCli(['serve', OUT, '--port', '0', '--trust-proxy', '127.0.0.1,10.0.0.0/40']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`hlsaudio: Expected \`--trust-proxy\` to be ${EXPECTED}, got "10.0.0.0/40"\n`);
    const fromEnv = await runCli(['serve', OUT, '--port', '0'], { env: { HLSAUDIO_TRUST_PROXY: 'nginx.internal' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toBe(`hlsaudio: Expected \`HLSAUDIO_TRUST_PROXY\` to be ${EXPECTED}, got "nginx.internal"\n`);
  });

  it('reads the client from X-Forwarded-For on connections from the addresses given, and describes the option in --help', async () => {
    const server = await startServe(OUT, ['--trust-proxy', '127.0.0.1,::1']);
    expect(server.stdout()).toContain('hlsaudio serve: clients are counted by X-Forwarded-For on connections from 127.0.0.1, ::1 (--trust-proxy)');
    const viaProxy = await opened(openWs(server.port, '127.0.0.1', {}, { 'X-Forwarded-For': '203.0.113.7' }));
    expect(await recordedAddress(viaProxy)).toBe('203.0.113.7');
    const direct = await opened(openWs(server.port, '127.0.0.2', {}, { 'X-Forwarded-For': '203.0.113.7' }));
    expect(await recordedAddress(direct)).toBe('127.0.0.2');
    const help = await runCli(['serve', '--help']);
    expect(help.stdout).toContain('--trust-proxy <list>');
    expect(help.stdout).toContain('HLSAUDIO_TRUST_PROXY');
  });
});
