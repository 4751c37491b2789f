import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { BROWSER, listen, startApp, TRACK, trackDetails } from '../helpers/serve-app.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const token = (scope?: string) =>
  new SignJWT(scope === undefined ? {} : { scope }).setProtectedHeader({ alg: 'HS256' }).setSubject('dashboard').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

describe('serve: who may read the analytics', () => {
  it('in JWT mode, asks for a bearer token whose scope holds analytics:read (401, 403), and shows that caller everything', async () => {
    const started = await startApp({ realtime: { jwtSecret: SECRET } });
    const { base } = started;
    await listen(started, { token: await token() });
    for (const path of ['/api/analytics/summary', `/api/analytics/tracks/${TRACK}`]) {
      const anonymous = await fetch(`${base}${path}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect(await anonymous.json()).toEqual({ error: 'E_AUTH', message: 'a token is required: send Authorization: Bearer <JWT>' });
      const forged = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${(await token('analytics:read')).slice(0, -4)}AAAA` } });
      expect(forged.status).toBe(401);
      const unscoped = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${await token('events:publish')}` } });
      expect(unscoped.status).toBe(403);
      expect(await unscoped.json()).toEqual({ error: 'E_FORBIDDEN', message: "the token's scope does not include analytics:read" });
      expect((await fetch(`${base}${path}`, { method: 'HEAD' })).status).toBe(401);
    }
    const authorized = { Authorization: `Bearer ${await token('events:publish analytics:read')}` };
    expect((await fetch(`${base}/api/analytics/summary`, { headers: authorized })).status).toBe(200);
    const [play] = (await trackDetails(started, authorized)).recent_sessions;
    expect(play).toMatchObject({ user_id: 'dashboard', ip: '127.0.0.1', user_agent: BROWSER });
  });

  it('in anonymous mode, answers anyone, without the listeners\' addresses and user agents', async () => {
    const started = await startApp();
    await listen(started);
    expect((await fetch(`${started.base}/api/analytics/summary`)).status).toBe(200);
    const [play] = (await trackDetails(started)).recent_sessions;
    expect(play).toMatchObject({ user_id: 'listener-1', platform: 'Web', track_id: TRACK });
    expect(play).not.toHaveProperty('ip');
    expect(play).not.toHaveProperty('user_agent');
  });
});
