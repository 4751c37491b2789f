import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { connect } from '../helpers/realtime.js';
import { request } from '../helpers/serve.js';
import { OUT, send, startApp, TRACK } from '../helpers/serve-app.js';

/** Issue 9, points 5 to 7, against the real serve app: what a hostile client sends must get a clear, short error. */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

describe('dictionary keys a client chooses (point 5)', () => {
  test('filters __proto__, constructor and toString are unknown filters (E_MESSAGE), not an internal error', async () => {
    const { ws, logs } = await startApp();
    const client = await connect(ws, { user_id: 'probe' });
    for (const key of ['__proto__', 'constructor', 'toString']) {
      client.sendRaw(`{"command": "Subscribe", "command_id": "k-${key}", "events": ["PlaybackStarted"], "filters": {"${key}": "x"}}`);
      const response = await client.waitFor((event) => event.event === 'CommandResponse' && event.command_id === `k-${key}`);
      expect(response).toMatchObject({ success: false, data: { code: 'E_MESSAGE', field: `filters.${key}` }, error: expect.stringContaining('got an unknown filter') });
    }
    expect(await client.command({ command: 'Ping' })).toMatchObject({ success: true });
    expect(logs.join('\n')).not.toContain('failed');
  });

  test('enum values named like Object.prototype members are just unknown names', async () => {
    const { base } = await startApp();
    const created = await send(base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: { connection_type: 'constructor', device_type: '__proto__' } });
    expect(created.status).toBe(201);
    const { session_id } = (await created.json()) as { session_id: string };
    const session = (await (await fetch(`${base}/api/streaming/session/${session_id}`)).json()) as { client_capabilities: Record<string, unknown> };
    expect(session.client_capabilities).toMatchObject({ connection_type: 'Unknown', device_type: 'Unknown' });
  });
});

describe('identifiers (point 6)', () => {
  test('a JWT subject of 10,000 characters and user_id=%00admin are refused at the upgrade', async () => {
    const { ws } = await startApp({ realtime: { jwtSecret: SECRET } });
    const long = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u'.repeat(10_000)).sign(new TextEncoder().encode(SECRET));
    const refusedToken = (await connect(ws, { token: long }).catch((error: unknown) => error)) as { status: number; body: string };
    expect(refusedToken.status).toBe(401);
    expect(JSON.parse(refusedToken.body)).toEqual({ error: 'E_AUTH', message: `Expected the token's subject (\`sub\` claim) to be an id of 1 to 128 printable ASCII characters (no space), got "${'u'.repeat(200)}"… (10000 characters)` });
    const { ws: anonymousWs } = await startApp();
    const refusedId = (await connect(anonymousWs, { user_id: '\u0000admin' }).catch((error: unknown) => error)) as { status: number; body: string };
    expect(refusedId.status).toBe(400);
    expect(JSON.parse(refusedId.body)).toMatchObject({ error: 'E_MESSAGE', message: expect.stringContaining('got "\\u0000admin"') });
  });

  test('a number is reported as it was sent: 1e20, not 100000000000000000000', async () => {
    const { base, ws } = await startApp();
    const answer = await fetch(`${base}/api/streaming/session`, { method: 'POST', body: `{"track_id": "${TRACK}", "client_capabilities": {"estimated_bandwidth_kbps": 1e20}}` });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: 'E_FIELD', message: 'Expected `client_capabilities.estimated_bandwidth_kbps` to be a number from 0 to 4294967295, got number 1e20' });
    const client = await connect(ws, { user_id: 'n' });
    client.sendRaw('{"command": "AddToPlaylist", "command_id": "n1", "playlist_id": "p", "track_id": "t", "position": 1e20}');
    expect(await client.waitFor((event) => event.event === 'CommandResponse')).toMatchObject({ error: 'Expected `position` to be an integer >= 0, got number 1e20' });
  });
});

describe('error bodies, conditional requests, catalog (point 7)', () => {
  test('an error quotes at most 200 characters of the request', async () => {
    const { base, ws } = await startApp();
    const answer = await send(base, 'POST', '/api/streaming/session', { track_id: 'x'.repeat(8000) });
    const text = await answer.text();
    expect(answer.status).toBe(400);
    expect(text.length).toBeLessThan(500);
    expect(JSON.parse(text).message).toMatch(/got "x{200}"… \(8000 characters\)$/);
    const missing = await fetch(`${base}/api/streaming/session/${'s'.repeat(1500)}`);
    expect((await missing.text()).length).toBeLessThan(600);
    const client = await connect(ws, { user_id: 'e' });
    client.sendRaw(JSON.stringify({ command: 'Seek', command_id: 'e1', track_id: TRACK, position_ms: 'y'.repeat(12_000) }));
    const response = await client.waitFor((event) => event.event === 'CommandResponse');
    expect(JSON.stringify(response).length).toBeLessThan(500);
  });

  test('If-Modified-Since later than the server clock is ignored: 200, not 304', async () => {
    const { app } = await startApp();
    const { port } = app.hls.server.address() as { port: number };
    const path = `/hls/${TRACK}/master.m3u8`;
    const first = await request(port, 'GET', path);
    expect(first.status).toBe(200);
    const future = new Date(Date.now() + 365 * 86_400_000).toUTCString();
    expect((await request(port, 'GET', path, { headers: { 'If-Modified-Since': future } })).status).toBe(200);
    expect((await request(port, 'GET', path, { headers: { 'If-Modified-Since': first.headers['last-modified']! } })).status).toBe(304);
  });

  test('no session for a track folder that catalog.json does not list', async () => {
    // A copy of the packaged track under another id, with its track.json, but not in the catalog.
    cpSync(join(OUT, TRACK), join(OUT, 'ghost'), { recursive: true });
    const trackFile = join(OUT, 'ghost', 'track.json');
    writeFileSync(trackFile, JSON.stringify({ ...JSON.parse(readFileSync(trackFile, 'utf8')), id: 'ghost' }));
    const { base } = await startApp();
    const answer = await send(base, 'POST', '/api/streaming/session', { track_id: 'ghost' });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error: 'E_UNKNOWN_TRACK', message: 'No track "ghost" in the catalog' });
    expect((await send(base, 'POST', '/api/streaming/session', { track_id: TRACK })).status).toBe(201);
  });
});
