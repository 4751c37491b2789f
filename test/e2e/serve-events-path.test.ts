import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { connect } from '../helpers/realtime.js';
import { send, startApp } from '../helpers/serve-app.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

describe('serve: POST events at the eventsPath option', () => {
  it('registers the publish route where the option says, and nowhere else', async () => {
    const started = await startApp({ realtime: { jwtSecret: SECRET, eventsPath: '/internal/publish' } });
    const publisher = await new SignJWT({ scope: 'events:publish' }).setProtectedHeader({ alg: 'HS256' }).setSubject('svc').sign(new TextEncoder().encode(SECRET));
    const listener = await connect(started.ws, { token: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ana').sign(new TextEncoder().encode(SECRET)) });
    const event = { event: 'ServerMessage', message: 'hello', level: 'Info' };
    const auth = { Authorization: `Bearer ${publisher}` };
    expect((await send(started.base, 'POST', '/api/events?user_id=ana', event, auth)).status).toBe(404);
    expect(await (await send(started.base, 'POST', '/internal/publish?user_id=ana', event, auth)).json()).toEqual({ accepted: 1 });
    expect(await listener.waitFor((received) => received.event === 'ServerMessage')).toEqual(event);
    await listener.close();
  });
});
