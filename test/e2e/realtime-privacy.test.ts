import { SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { SPEC_EVENT_NAMES, type SpecEventName } from '../../src/realtime/protocol.js';
import { connect, startRealtimePerTest } from '../helpers/realtime.js';

/**
 * Issue 9, point 4: in JWT mode Alice subscribed with `filters: {user_id: "bob"}` (or none) and
 * received Bob's playback and playlist events. A user now receives only the broadcasts naming it,
 * and the public ones; a token with `events:read-all` receives everything (dashboards).
 */
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const jwt = (sub: string, scope?: string) =>
  new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).sign(new TextEncoder().encode(SECRET));
const start = startRealtimePerTest();
// The spec's events (QualityChanged is never broadcast, so it is not subscribed to).
const USER_EVENTS: SpecEventName[] = SPEC_EVENT_NAMES.filter((name) => !['RateLimitWarning', 'CommandResponse', 'LiveStats'].includes(name));

describe('JWT mode', () => {
  test("Bob's events never reach Alice, with a user_id filter naming Bob or without a filter; dashboards with events:read-all get them all", async () => {
    const { wsUrl, httpUrl } = await start({ options: { jwtSecret: SECRET } });
    const bob = await connect(wsUrl, { token: await jwt('bob') });
    const aliceFiltered = await connect(wsUrl, { token: await jwt('alice') });
    const aliceAll = await connect(wsUrl, { token: await jwt('alice') });
    const dashboard = await connect(wsUrl, { token: await jwt('ops', 'events:read-all') });
    expect(await aliceFiltered.command({ command: 'Subscribe', events: USER_EVENTS, filters: { user_id: 'bob' } })).toMatchObject({ success: true });
    for (const client of [aliceAll, dashboard, bob]) expect(await client.command({ command: 'Subscribe', events: USER_EVENTS })).toMatchObject({ success: true });

    // Bob plays, seeks, pauses and edits his playlist; a service publishes his like and his share.
    for (const command of [
      { command: 'Play', track_id: 'song-a' },
      { command: 'Seek', track_id: 'song-a', position_ms: 1000 },
      { command: 'Pause', track_id: 'song-a' },
      { command: 'AddToPlaylist', playlist_id: 'bob-mix', track_id: 'song-a' },
      { command: 'RemoveFromPlaylist', playlist_id: 'bob-mix', track_id: 'song-a' },
    ] as const) {
      expect(await bob.command(command)).toMatchObject({ success: true });
    }
    const publisher = await jwt('liker-service', 'events:publish');
    const published = [
      { event: 'TrackLiked', track_id: 'song-a', user_id: 'bob', total_likes: 3 },
      { event: 'TrackShared', track_id: 'song-a', from_user: 'bob', to_users: ['carol'], message: null },
      { event: 'UserFollowed', follower_id: 'bob', followed_id: 'carol' },
      { event: 'PlaylistUpdated', playlist_id: 'nobody-knows', action: 'Cleared', track_id: null, position: null },
      { event: 'ServerMessage', message: 'maintenance at noon', level: 'Info' },
    ];
    const answer = await fetch(`${httpUrl}/api/events`, { method: 'POST', headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/json' }, body: JSON.stringify(published) });
    expect(answer.status).toBe(202);
    // The last broadcast has reached everyone once the dashboard has it (one process, delivered in order).
    await dashboard.waitFor((event) => event.event === 'ServerMessage');

    const seen = (client: typeof bob) => client.events.filter((event) => event.event !== 'CommandResponse').map((event) => event.event);
    expect(seen(dashboard)).toEqual([
      'PlaybackStarted',
      'PlaybackProgress',
      'PlaybackPaused',
      'PlaylistUpdated',
      'PlaylistUpdated',
      'TrackLiked',
      'TrackShared',
      'UserFollowed',
      'PlaylistUpdated',
      'ServerMessage',
    ]);
    expect(seen(bob)).toEqual(['PlaybackStarted', 'PlaybackProgress', 'PlaybackPaused', 'PlaylistUpdated', 'PlaylistUpdated', 'TrackLiked', 'TrackShared', 'UserFollowed', 'ServerMessage']);
    // Alice: only the public ServerMessage, whatever her filters.
    expect(seen(aliceAll)).toEqual(['ServerMessage']);
    expect(seen(aliceFiltered)).toEqual(['ServerMessage']);
  });

  test('an event that names Alice reaches her, whoever caused it', async () => {
    const { wsUrl, httpUrl } = await start({ options: { jwtSecret: SECRET } });
    const alice = await connect(wsUrl, { token: await jwt('alice') });
    await alice.command({ command: 'Subscribe', events: ['TrackShared', 'UserFollowed'] });
    const publisher = await jwt('svc', 'events:publish');
    const share = { event: 'TrackShared', track_id: 'song-a', from_user: 'bob', to_users: ['alice'], message: 'listen' };
    await fetch(`${httpUrl}/api/events`, { method: 'POST', headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/json' }, body: JSON.stringify(share) });
    expect(await alice.waitFor((event) => event.event === 'TrackShared')).toEqual(share);
  });
});

test('anonymous mode cannot verify anyone, restricts nothing, and says so at startup', async () => {
  const { wsUrl, logs } = await start();
  expect(logs[0]).toContain("any client can act as any user and receive every user's events");
  const watcher = await connect(wsUrl, { user_id: 'alice' });
  await watcher.command({ command: 'Subscribe', events: ['PlaybackStarted'], filters: { user_id: 'bob' } });
  const bob = await connect(wsUrl, { user_id: 'bob' });
  await bob.command({ command: 'Play', track_id: 'song-a' });
  expect(await watcher.waitFor((event) => event.event === 'PlaybackStarted')).toMatchObject({ user_id: 'bob' });
});
