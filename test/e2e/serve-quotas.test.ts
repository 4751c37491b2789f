import { request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { describe, expect, test } from 'vitest';
import { connect, startRealtimePerTest } from '../helpers/realtime.js';
import { startApp, TRACK } from '../helpers/serve-app.js';

/**
 * Issue 9, point 3: one client filled the 10,000 sessions, created 100,000 playlists and could take
 * every WebSocket slot. Each now has a per-user and a per-address share beside the global one.
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const token = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).sign(new TextEncoder().encode(SECRET));
const start = startRealtimePerTest();

/** A WebSocket upgrade from `localAddress`; resolves with the open socket or the refusal. */
function upgrade(url: string, localAddress = '127.0.0.1'): Promise<{ ws?: WebSocket; status?: number; retryAfter?: string; body?: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string, body: JSON.parse(body) }));
    });
    ws.once('error', reject);
  });
}

/** POST /api/streaming/session from `localAddress`. */
function createSession(base: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | undefined; body: any }> {
  const body = JSON.stringify({ track_id: TRACK, client_capabilities: { estimated_bandwidth_kbps: 2000 } });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/api/streaming/session`, { method: 'POST', localAddress, agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('WebSocket connections', () => {
  test('per address (no token): 429 with Retry-After before the upgrade, while another address connects', async () => {
    const { wsUrl } = await start({ options: { wsMaxConnectionsPerAddress: 3, wsMaxConnectionsPerUser: 0 } });
    const open = await Promise.all([1, 2, 3].map((n) => upgrade(`${wsUrl}?user_id=u${n}`, '127.0.0.2')));
    const refused = await upgrade(`${wsUrl}?user_id=u4`, '127.0.0.2');
    expect(refused).toEqual({ status: 429, retryAfter: '5', body: { error: 'E_QUOTA', message: 'this address holds its maximum of 3 connections without a token; close one first' } });
    expect((await upgrade(`${wsUrl}?user_id=u5`, '127.0.0.3')).ws).toBeDefined();
    open[0]!.ws!.close();
    await new Promise((resolve) => open[0]!.ws!.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await upgrade(`${wsUrl}?user_id=u6`, '127.0.0.2')).ws).toBeDefined();
  });

  test('per user (JWT): a user holding wsMaxConnectionsPerUser gets 429; another user connects', async () => {
    const { wsUrl } = await start({ options: { jwtSecret: SECRET, wsMaxConnectionsPerUser: 2 } });
    for (let i = 0; i < 2; i++) expect((await upgrade(`${wsUrl}?token=${await token('alice')}`)).ws).toBeDefined();
    expect(await upgrade(`${wsUrl}?token=${await token('alice')}`)).toMatchObject({ status: 429, retryAfter: '5', body: { error: 'E_QUOTA', message: 'user alice holds its maximum of 2 connections; close one first' } });
    expect((await upgrade(`${wsUrl}?token=${await token('bob')}`)).ws).toBeDefined();
  });
});

describe('server playlists', () => {
  test('per address without a token and per user: E_QUOTA', async () => {
    const { wsUrl } = await start({ options: { playlistMaxPerAddress: 3, playlistMaxPerUser: 2 } });
    const clients = await Promise.all(['a', 'b'].map((user) => connect(wsUrl, { user_id: user })));
    expect(await clients[0]!.command({ command: 'AddToPlaylist', playlist_id: 'a1', track_id: 'song-a' })).toMatchObject({ success: true });
    expect(await clients[0]!.command({ command: 'AddToPlaylist', playlist_id: 'a2', track_id: 'song-a' })).toMatchObject({ success: true });
    expect(await clients[0]!.command({ command: 'AddToPlaylist', playlist_id: 'a3', track_id: 'song-a' })).toMatchObject({
      success: false,
      data: { code: 'E_QUOTA', field: 'playlist_id' },
      error: 'cannot create playlist a3: user a owns its maximum of 2 playlists; empty one to free its place',
    });
    expect(await clients[1]!.command({ command: 'AddToPlaylist', playlist_id: 'b1', track_id: 'song-a' })).toMatchObject({ success: true });
    // A fresh user_id from the same address: anonymous ids cost nothing, the address's share holds.
    const another = await connect(wsUrl, { user_id: 'c' });
    expect(await another.command({ command: 'AddToPlaylist', playlist_id: 'c1', track_id: 'song-a' })).toMatchObject({
      success: false,
      data: { code: 'E_QUOTA' },
      error: 'cannot create playlist c1: connections from this address without a token created their maximum of 3 playlists',
    });
  });

  test('an emptied playlist does not survive a restart', async () => {
    const first = await start();
    const owner = await connect(first.wsUrl, { user_id: 'owner' });
    await owner.command({ command: 'AddToPlaylist', playlist_id: 'brief', track_id: 'song-a' });
    expect(await owner.command({ command: 'RemoveFromPlaylist', playlist_id: 'brief', track_id: 'song-a' })).toMatchObject({ success: true, data: { track_count: 0 } });
    await first.stop();
    const second = await start({ dataDir: first.dataDir });
    const other = await connect(second.wsUrl, { user_id: 'someone-else' });
    expect(await other.command({ command: 'AddToPlaylist', playlist_id: 'brief', track_id: 'song-b' })).toMatchObject({ success: true, data: { action: 'Added', track_count: 1 } });
  });
});

describe('streaming sessions', () => {
  test('per address: 429 with Retry-After, while another address still gets sessions', async () => {
    const { base } = await startApp({ streaming: { maxSessionsPerAddress: 3 } });
    for (let i = 0; i < 3; i++) expect((await createSession(base, '127.0.0.2')).status).toBe(201);
    const refused = await createSession(base, '127.0.0.2');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(250);
    expect(refused.body).toEqual({ error: 'E_QUOTA', message: 'this address holds its maximum of 3 streaming sessions; end one (DELETE /api/streaming/session/:id) or wait for an idle one to expire' });
    expect((await createSession(base, '127.0.0.3')).status).toBe(201);
  });

  test('per user with a verified token; a bad token is 401', async () => {
    const { base } = await startApp({ streaming: { maxSessionsPerUser: 2, maxSessionsPerAddress: 100 }, realtime: { jwtSecret: SECRET } });
    const alice = { Authorization: `Bearer ${await token('alice')}` };
    for (let i = 0; i < 2; i++) expect((await createSession(base, '127.0.0.4', alice)).status).toBe(201);
    expect(await createSession(base, '127.0.0.4', alice)).toMatchObject({ status: 429, body: { error: 'E_QUOTA', message: expect.stringMatching(/^user alice holds its maximum of 2 streaming sessions/) } });
    expect((await createSession(base, '127.0.0.4', { Authorization: `Bearer ${await token('bob')}` })).status).toBe(201);
    expect((await createSession(base, '127.0.0.4', { Authorization: 'Bearer not-a-jwt' })).status).toBe(401);
  });
});
