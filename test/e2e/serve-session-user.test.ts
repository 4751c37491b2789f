import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { QualityChanged } from '../../src/realtime/protocol.js';
import { connect } from '../helpers/realtime.js';
import { GOOD_REPORT, send, startApp, type StartedApp, TRACK } from '../helpers/serve-app.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const tokenFor = (subject: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
const CAPABILITIES = { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' };

async function createSession(started: StartedApp, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, query = ''): Promise<{ session_id: string }> {
  const created = await send(started.base, 'POST', `/api/streaming/session${query}`, { track_id: TRACK, client_capabilities: CAPABILITIES, ...body }, headers);
  expect(created.status).toBe(201);
  return (await created.json()) as { session_id: string };
}

/** A rebuffer: the monitor steps down at once. */
async function stall(started: StartedApp, sessionId: string): Promise<void> {
  const answer = await send(started.base, 'POST', `/api/streaming/session/${sessionId}/metrics`, { ...GOOD_REPORT, rebuffer_count: 1, rebuffer_duration_ms: 400 });
  expect(await answer.json()).toMatchObject({ recommendation: { reason: 'rebuffer' } });
}

const isChange = (event: { event: string }): event is QualityChanged => event.event === 'QualityChanged';

describe('serve: a session knows its user, and its quality changes reach the user', () => {
  it('anonymous mode: the user_id of the body (or the query) is the session\'s; the user\'s connections that named no session hear its changes', async () => {
    const started = await startApp();
    const ana = await connect(started.ws, { user_id: 'ana' });
    const bob = await connect(started.ws, { user_id: 'bob' });
    const { session_id } = await createSession(started, { user_id: 'ana' });
    expect(await (await send(started.base, 'GET', `/api/streaming/session/${session_id}`)).json()).toMatchObject({ user_id: 'ana' });
    await stall(started, session_id);
    const change = await ana.waitFor(isChange);
    expect(change).toMatchObject({ event: 'QualityChanged', session_id, track_id: TRACK, user_id: 'ana', direction: 'down', reason: 'rebuffer', master_url: `/hls/${TRACK}/master.m3u8?session=${session_id}` });
    expect(change.timestamp).toBeGreaterThan(Date.parse('2026-01-01'));
    // The listener's own report is pushed too, with its reason.
    await send(started.base, 'PUT', `/api/streaming/session/${session_id}/quality`, { quality: change.from_quality, reason: 'user' });
    expect(await ana.waitFor((event) => isChange(event) && event.reason === 'user')).toMatchObject({ from_quality: change.to_quality, to_quality: change.from_quality, direction: 'up' });
    await bob.command({ command: 'Ping' });
    expect(bob.named('QualityChanged')).toEqual([]);

    const { session_id: byQuery } = await createSession(started, {}, {}, '?user_id=bob');
    await stall(started, byQuery);
    expect(await bob.waitFor(isChange)).toMatchObject({ session_id: byQuery, user_id: 'bob' });
    expect(ana.named('QualityChanged').map((event) => event.session_id)).toEqual([session_id, session_id]);
    await Promise.all([ana.close(), bob.close()]);
  });

  it('JWT mode: the user is the bearer token\'s subject; an unverified user_id names nobody; a bad token is 401', async () => {
    const started = await startApp({ realtime: { jwtSecret: SECRET } });
    const ana = await connect(started.ws, { token: await tokenFor('ana') });
    const { session_id } = await createSession(started, {}, { Authorization: `Bearer ${await tokenFor('ana')}` });
    await stall(started, session_id);
    expect(await ana.waitFor(isChange)).toMatchObject({ session_id, user_id: 'ana', reason: 'rebuffer' });

    // Without a token, a claimed user_id cannot be verified: the session has no user.
    const { session_id: unproven } = await createSession(started, { user_id: 'ana' });
    expect(await (await send(started.base, 'GET', `/api/streaming/session/${unproven}`)).json()).toMatchObject({ user_id: null });
    await stall(started, unproven);
    await ana.command({ command: 'Ping' });
    expect(ana.named('QualityChanged').map((event) => event.session_id)).toEqual([session_id]);

    const forged = await send(started.base, 'POST', '/api/streaming/session', { track_id: TRACK }, { Authorization: `Bearer ${(await tokenFor('ana')).slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'E_AUTH' });
    const mismatched = await send(started.base, 'POST', '/api/streaming/session', { track_id: TRACK, user_id: 'bob' }, { Authorization: `Bearer ${await tokenFor('ana')}` });
    expect(mismatched.status).toBe(401);
    await ana.close();
  });
});
