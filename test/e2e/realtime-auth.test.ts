import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { CLOSE_CODES } from '../../src/realtime/protocol.js';
import { connect, startRealtimePerTest } from '../helpers/realtime.js';
import { tempDir } from '../helpers/temp.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const OTHER_SECRET = 'another-secret-of-at-least-32-bytes!';

function hs256(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number; subject?: string | null } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'u1');
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const start = startRealtimePerTest();

async function refused(promise: Promise<unknown>): Promise<{ status: number; body: { error: string; message: string } }> {
  const error = (await promise.then(
    () => {
      throw new Error('the upgrade was accepted');
    },
    (caught: unknown) => caught,
  )) as { status: number; body: string };
  return { status: error.status, body: JSON.parse(error.body) };
}

async function statusOf(client: Awaited<ReturnType<typeof connect>>) {
  const response = await client.command({ command: 'GetStatus' });
  return (response.data as { connection: { user_id: string | null; authenticated: boolean } }).connection;
}

describe('anonymous mode (no key configured)', () => {
  test('user_id is taken as given, tokens are ignored, and the startup log says so', async () => {
    const { wsUrl, logs } = await start();
    expect(logs).toEqual([
      "realtime: /api/ws runs in anonymous mode: no JWT key configured, user_id is trusted as the client gives it and tokens are ignored, so any client can act as any user and receive every user's events; POST /api/events is refused",
    ]);
    const client = await connect(wsUrl, { user_id: 'client_001', token: 'jwt_token_here' });
    expect(await statusOf(client)).toMatchObject({ user_id: 'client_001', authenticated: false });
    const nobody = await connect(wsUrl);
    expect(await statusOf(nobody)).toMatchObject({ user_id: null, authenticated: false });
  });

  test('an empty, overlong or control-character user_id is refused with 400', async () => {
    const { wsUrl } = await start();
    expect(await refused(connect(wsUrl, { user_id: '' }))).toEqual({
      status: 400,
      body: { error: 'E_MESSAGE', message: 'Expected `user_id` to be an id of 1 to 128 printable ASCII characters (no space), got ""' },
    });
    expect(await refused(connect(wsUrl, { user_id: '\u0000admin' }))).toEqual({
      status: 400,
      body: { error: 'E_MESSAGE', message: 'Expected `user_id` to be an id of 1 to 128 printable ASCII characters (no space), got "\\u0000admin"' },
    });
    expect((await refused(connect(wsUrl, { session_id: 'x'.repeat(300) }))).status).toBe(400);
  });
});

describe('HS256', () => {
  test('a valid token makes its subject the user, with or without a matching user_id, by query or header', async () => {
    const { wsUrl, logs } = await start({ options: { jwtSecret: SECRET } });
    expect(logs).toEqual(['realtime: /api/ws verifies JWTs (HS256 secret)']);
    const token = await hs256({}, { expiresIn: '1h' });
    expect(await statusOf(await connect(wsUrl, { token }))).toMatchObject({ user_id: 'u1', authenticated: true });
    expect(await statusOf(await connect(wsUrl, { token, user_id: 'u1' }))).toMatchObject({ user_id: 'u1', authenticated: true });
    expect(await statusOf(await connect(wsUrl, {}, { Authorization: `Bearer ${token}` }))).toMatchObject({ user_id: 'u1', authenticated: true });
  });

  test('missing, malformed, badly signed, expired, subject-less and mismatched tokens get 401 before the upgrade', async () => {
    const { wsUrl, realtime } = await start({ options: { jwtSecret: SECRET } });
    const cases: [Record<string, string>, string][] = [
      [{}, 'a token is required: connect with ?token=<JWT> (or an Authorization: Bearer header)'],
      [{ user_id: 'u1' }, 'a token is required: connect with ?token=<JWT> (or an Authorization: Bearer header)'],
      [{ token: 'not.a.jwt' }, 'the token is not a valid JWT'],
      [{ token: await hs256({}, { secret: OTHER_SECRET }) }, 'the token signature is invalid'],
      [{ token: await hs256({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }) }, 'the token has expired'],
      [{ token: await hs256({}, { subject: null }) }, 'the token has no subject (`sub` claim)'],
      [{ token: await hs256({}), user_id: 'u2' }, 'user_id "u2" does not match the token\'s subject'],
    ];
    for (const [query, message] of cases) {
      expect(await refused(connect(wsUrl, query))).toEqual({ status: 401, body: { error: 'E_AUTH', message } });
    }
    expect(realtime.manager.getStats()).toMatchObject({ refused_upgrades: cases.length, total_connections: 0 });
  });

  test('allowAnonymous lets token-less connections in without a user', async () => {
    const { wsUrl } = await start({ options: { jwtSecret: SECRET, allowAnonymous: true } });
    expect(await statusOf(await connect(wsUrl))).toMatchObject({ user_id: null, authenticated: false });
    expect((await refused(connect(wsUrl, { user_id: 'u1' }))).status).toBe(401);
  });

  test('issuer and audience are checked when configured', async () => {
    const { wsUrl } = await start({ options: { jwtSecret: SECRET, jwtIssuer: 'https://auth.example', jwtAudience: 'hlsaudio' } });
    const good = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('https://auth.example').setAudience('hlsaudio').sign(new TextEncoder().encode(SECRET));
    await connect(wsUrl, { token: good });
    const wrongAudience = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuer('https://auth.example').setAudience('other').sign(new TextEncoder().encode(SECRET));
    expect(await refused(connect(wsUrl, { token: wrongAudience }))).toEqual({
      status: 401,
      body: { error: 'E_AUTH', message: 'the token\'s `aud` claim is not accepted (check_failed)' },
    });
  });

  test('the connection is closed with 4003 when its token expires', async () => {
    const { wsUrl } = await start({ options: { jwtSecret: SECRET, jwtClockToleranceSec: 0 } });
    const token = await hs256({}, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    const client = await connect(wsUrl, { token });
    expect(await client.closed).toEqual({ code: CLOSE_CODES.tokenExpired, reason: 'token expired' });
  });
});

describe('JWKS file', () => {
  test('tokens signed by a key of the file are accepted; others and HS256 are refused', async () => {
    const dir = tempDir();
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const stranger = await generateKeyPair('ES256');
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
    const { wsUrl, logs } = await start({ options: { jwksFile } });
    expect(logs).toEqual(['realtime: /api/ws verifies JWTs (JWKS file)']);
    const sign = (key: CryptoKey) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('es-user').setExpirationTime('1h').sign(key);
    expect(await statusOf(await connect(wsUrl, { token: await sign(privateKey) }))).toMatchObject({ user_id: 'es-user', authenticated: true });
    expect(await refused(connect(wsUrl, { token: await sign(stranger.privateKey) }))).toEqual({ status: 401, body: { error: 'E_AUTH', message: 'the token signature is invalid' } });
    expect(await refused(connect(wsUrl, { token: await hs256({}) }))).toEqual({
      status: 401,
      body: { error: 'E_AUTH', message: 'the token is signed with an algorithm that is not accepted' },
    });
  });
});

describe('POST /api/events', () => {
  async function post(httpUrl: string, body: unknown, options: { token?: string; query?: string; contentType?: string; method?: string } = {}) {
    const response = await fetch(`${httpUrl}/api/events${options.query ?? ''}`, {
      method: options.method ?? 'POST',
      headers: {
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(options.method === 'GET' ? {} : { 'Content-Type': options.contentType ?? 'application/json' }),
      },
      ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json(), headers: response.headers };
  }
  const message = { event: 'ServerMessage', message: 'Nouvelle fonctionnalité disponible!', level: 'Info' };

  test('is refused in anonymous mode', async () => {
    const { httpUrl } = await start();
    expect(await post(httpUrl, message)).toMatchObject({
      status: 403,
      body: { error: 'E_FORBIDDEN', message: 'publishing events needs a configured key (jwtSecret or jwksFile): the server runs in anonymous mode' },
    });
  });

  test('needs a token with the publish scope', async () => {
    const { httpUrl } = await start({ options: { jwtSecret: SECRET } });
    const missing = await post(httpUrl, message);
    expect(missing).toMatchObject({ status: 401, body: { error: 'E_AUTH', message: 'a token is required: send Authorization: Bearer <JWT>' } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await post(httpUrl, message, { token: await hs256({}, { secret: OTHER_SECRET }) })).toMatchObject({ status: 401, body: { message: 'the token signature is invalid' } });
    expect(await post(httpUrl, message, { token: await hs256({ scope: 'events:read' }) })).toMatchObject({
      status: 403,
      body: { error: 'E_FORBIDDEN', message: 'the token\'s scope does not include events:publish' },
    });
  });

  test('broadcasts to subscribers, or sends to a user or a connection', async () => {
    const { httpUrl, wsUrl } = await start({ options: { jwtSecret: SECRET } });
    const token = await hs256({ scope: 'profile events:publish' }, { subject: 'recommender-service' });
    const subscriber = await connect(wsUrl, { token: await hs256({}, { subject: 'ana' }) });
    await subscriber.command({ command: 'Subscribe', events: ['ServerMessage', 'TrackLiked'] });
    const bob = await connect(wsUrl, { token: await hs256({}, { subject: 'bob' }) });
    expect(await post(httpUrl, message, { token })).toEqual({ status: 202, body: { accepted: 1 }, headers: expect.anything() });
    expect(await subscriber.waitFor((event) => event.event === 'ServerMessage')).toEqual(message);
    // In JWT mode a broadcast reaches only the users it names: ana hears of her like, not of bob's.
    const batch = [
      { event: 'TrackLiked', track_id: 'song-a', user_id: 'bob', total_likes: 128 },
      { event: 'TrackShared', track_id: 'song-a', from_user: 'ana', to_users: ['bob'] },
      { event: 'TrackLiked', track_id: 'song-a', user_id: 'ana', total_likes: 129 },
    ];
    expect(await post(httpUrl, batch, { token })).toMatchObject({ status: 202, body: { accepted: 3 } });
    expect(await subscriber.waitFor((event) => event.event === 'TrackLiked')).toEqual(batch[2]);
    expect(subscriber.named('TrackLiked')).toEqual([batch[2]]);
    expect(await post(httpUrl, batch[1], { token, query: '?user_id=bob' })).toMatchObject({ status: 202 });
    expect(await bob.waitFor((event) => event.event === 'TrackShared')).toEqual({ ...batch[1], message: null });
    const bobStatus = await bob.command({ command: 'GetStatus' });
    const bobId = (bobStatus.data as { connection: { id: string } }).connection.id;
    expect(await post(httpUrl, { event: 'PlaylistShared', playlist_id: 'p', from_user: 'ana', to_users: ['bob'] }, { token, query: `?connection_id=${bobId}` })).toMatchObject({ status: 202 });
    await bob.waitFor((event) => event.event === 'PlaylistShared');
    expect(subscriber.named('TrackShared')).toEqual([]);
    expect(subscriber.named('PlaylistShared')).toEqual([]);
  });

  test('bad bodies are refused with the field named', async () => {
    const { httpUrl } = await start({ options: { jwtSecret: SECRET, eventsMaxBodyBytes: 1024, eventsMaxBatch: 2 } });
    const token = await hs256({ scope: 'events:publish' });
    expect(await post(httpUrl, [message, { ...message, level: 'Loud' }], { token })).toMatchObject({
      status: 400,
      body: { error: 'E_MESSAGE', message: 'Expected `[1].level` to be one of Info, Warning, Error, got "Loud"' },
    });
    expect(await post(httpUrl, { event: 'TrackLiked', track_id: 't', user_id: 'u' }, { token })).toMatchObject({
      status: 400,
      body: { message: 'Expected `total_likes` to be an integer >= 0, got nothing' },
    });
    expect(await post(httpUrl, '{"event":', { token })).toMatchObject({ status: 400, body: { error: 'E_MESSAGE', message: expect.stringMatching(/^the body is not JSON/) } });
    expect(await post(httpUrl, [message, message, message], { token })).toMatchObject({ status: 400, body: { message: 'Expected the body to be an event or an array of 1 to 2 events, got 3 events' } });
    expect(await post(httpUrl, { ...message, message: 'x'.repeat(2000) }, { token })).toMatchObject({
      // The one answer of every HTTP layer to a body over its limit (the sessions API's too).
      status: 413,
      body: { error: 'E_BODY_TOO_LARGE', message: 'The request body is larger than 1024 bytes' },
    });
    expect(await post(httpUrl, message, { token, contentType: 'text/plain' })).toMatchObject({ status: 415, body: { error: 'E_UNSUPPORTED_MEDIA_TYPE' } });
    expect(await post(httpUrl, message, { token, query: '?user_id=a&connection_id=b' })).toMatchObject({ status: 400, body: { message: 'give user_id or connection_id, not both' } });
    const get = await post(httpUrl, undefined, { token, method: 'GET' });
    expect(get).toMatchObject({ status: 405 });
    expect(get.headers.get('allow')).toBe('POST');
  });
});
