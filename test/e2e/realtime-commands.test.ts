import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CommandResponse, ServerEvent } from '../../src/realtime/protocol.js';
import { connect, type RealtimeHarness, startRealtime, type TestClient } from '../helpers/realtime.js';

/** Real ws clients against a real server on a loopback ephemeral port; the clock is the test's. */
let now = 1_700_000_000_000;
const clock = { now: () => now, advance: (ms: number) => (now += ms) };
const sessionQuality = new Map<string, string>();
let harness: RealtimeHarness;

beforeAll(async () => {
  harness = await startRealtime({
    deps: {
      now: clock.now,
      sessions: {
        qualityFor: (trackId, sessionId) => sessionQuality.get(`${trackId}/${sessionId}`),
        onQualityChange: () => () => {},
        bufferPercentageFor: (_trackId, sessionId) => (sessionId === 's-buffered' ? 87.5 : undefined),
      },
    },
  });
});
afterAll(() => harness.stop());

const PLAYBACK_EVENTS = ['PlaybackStarted', 'PlaybackPaused', 'PlaybackResumed', 'PlaybackStopped', 'PlaybackProgress'];

async function player(userId: string, query: Record<string, string> = {}): Promise<TestClient> {
  const client = await connect(harness.wsUrl, { user_id: userId, ...query });
  expect(await client.command({ command: 'Subscribe', events: [...PLAYBACK_EVENTS, 'PlaylistUpdated'], filters: { user_id: userId } })).toMatchObject({ success: true });
  return client;
}

function failed(response: CommandResponse, code: string, field: string | null, error: unknown): void {
  expect(response).toEqual({ event: 'CommandResponse', command_id: response.command_id, success: false, data: { code, field }, error });
}

/** Events after the last one the client saw before `action`. */
async function eventsDuring(client: TestClient, action: () => Promise<unknown>): Promise<ServerEvent[]> {
  const before = client.events.length;
  await action();
  return client.events.slice(before).filter((event) => event.event !== 'CommandResponse');
}

describe('wire format', () => {
  test('a CommandResponse is the spec\'s JSON: tag beside the fields, snake_case, error null', async () => {
    const client = await player('wire');
    await client.command({ command: 'Play', command_id: 'cmd_123', track_id: 'song-a', start_position_ms: 30000 });
    const response = client.raw.find((text) => text.includes('"cmd_123"'));
    expect(response).toBe('{"event":"CommandResponse","command_id":"cmd_123","success":true,"data":{"track_duration_ms":210000,"quality":"high"},"error":null}');
    expect(client.raw).toContain(`{"event":"PlaybackStarted","track_id":"song-a","user_id":"wire","timestamp":${Math.floor(now / 1000)}}`);
    await client.close();
  });
});

describe('Play, Pause, Seek, Stop', () => {
  test('Play starts, Pause holds the position, Play resumes, Stop counts the time played', async () => {
    const client = await player('u-play');
    const started = await eventsDuring(client, async () => {
      expect(await client.command({ command: 'Play', track_id: 'song-a', start_position_ms: 1000 })).toMatchObject({ success: true, data: { track_duration_ms: 210000, quality: 'high' } });
    });
    expect(started).toEqual([{ event: 'PlaybackStarted', track_id: 'song-a', user_id: 'u-play', timestamp: Math.floor(now / 1000) }]);
    clock.advance(4000);
    const paused = await eventsDuring(client, async () => {
      expect(await client.command({ command: 'Pause', track_id: 'song-a' })).toMatchObject({ success: true, data: { position_ms: 5000 } });
    });
    expect(paused).toEqual([{ event: 'PlaybackPaused', track_id: 'song-a', user_id: 'u-play', position_ms: 5000 }]);
    clock.advance(60_000);
    const resumed = await eventsDuring(client, () => client.command({ command: 'Play', track_id: 'song-a' }));
    expect(resumed).toEqual([{ event: 'PlaybackResumed', track_id: 'song-a', user_id: 'u-play', position_ms: 5000 }]);
    clock.advance(2000);
    const stopped = await eventsDuring(client, async () => {
      expect(await client.command({ command: 'Stop', track_id: 'song-a' })).toMatchObject({ success: true, data: { total_played_ms: 6000 } });
    });
    expect(stopped).toEqual([{ event: 'PlaybackStopped', track_id: 'song-a', user_id: 'u-play', total_played_ms: 6000 }]);
    await client.close();
  });

  test('Seek emits PlaybackProgress with the session\'s buffer health, or 0 without one', async () => {
    const client = await player('buffered', { session_id: 's-buffered' });
    await client.command({ command: 'Play', track_id: 'song-b' });
    const progress = await eventsDuring(client, async () => {
      expect(await client.command({ command: 'Seek', track_id: 'song-b', position_ms: 60000.4 })).toMatchObject({ success: true, data: { position_ms: 60000, state: 'playing' } });
    });
    expect(progress).toEqual([{ event: 'PlaybackProgress', track_id: 'song-b', user_id: 'buffered', position_ms: 60000, buffer_percentage: 87.5 }]);
    const other = await player('unbuffered');
    await other.command({ command: 'Play', track_id: 'song-b' });
    await other.command({ command: 'Seek', track_id: 'song-b', position_ms: 1000 });
    expect(other.named('PlaybackProgress')).toEqual([{ event: 'PlaybackProgress', track_id: 'song-b', user_id: 'unbuffered', position_ms: 1000, buffer_percentage: 0 }]);
    await Promise.all([client.close(), other.close()]);
  });

  test('Play of another track stops the current one first', async () => {
    const client = await player('u-switch');
    await client.command({ command: 'Play', track_id: 'song-a' });
    clock.advance(3000);
    const events = await eventsDuring(client, () => client.command({ command: 'Play', track_id: 'song-c' }));
    expect(events).toEqual([
      { event: 'PlaybackStopped', track_id: 'song-a', user_id: 'u-switch', total_played_ms: 3000 },
      { event: 'PlaybackStarted', track_id: 'song-c', user_id: 'u-switch', timestamp: Math.floor(now / 1000) },
    ]);
    await client.close();
  });

  test('quality comes from the streaming session when there is one', async () => {
    sessionQuality.set('song-a/s-42', 'mobile');
    const client = await player('u-session', { session_id: 's-42' });
    expect(await client.command({ command: 'Play', track_id: 'song-a' })).toMatchObject({ success: true, data: { track_duration_ms: 210000, quality: 'mobile' } });
    await client.close();
  });

  test('failures: unknown track, past the end, wrong state, no user', async () => {
    const client = await player('u-fail');
    failed(await client.command({ command: 'Play', track_id: 'nope' }), 'E_UNKNOWN_TRACK', 'track_id', 'unknown track_id "nope": the catalog has no such track');
    failed(await client.command({ command: 'Play', track_id: 'song-c', start_position_ms: 90001 }), 'E_PLAYBACK', 'start_position_ms', 'start_position_ms 90001 is past the end of track song-c (90000 ms)');
    failed(await client.command({ command: 'Pause', track_id: 'song-c' }), 'E_PLAYBACK', 'track_id', 'cannot pause track song-c: nothing is playing on this connection');
    failed(await client.command({ command: 'Stop', track_id: 'song-c' }), 'E_PLAYBACK', 'track_id', 'cannot stop track song-c: nothing is playing on this connection');
    failed(await client.command({ command: 'Seek', track_id: 'song-c', position_ms: 5 }), 'E_PLAYBACK', 'track_id', 'cannot seek in track song-c: nothing is playing on this connection');
    await client.command({ command: 'Play', track_id: 'song-c' });
    failed(await client.command({ command: 'Play', track_id: 'song-c' }), 'E_PLAYBACK', 'track_id', 'track song-c is already playing; send Seek to move within it');
    failed(await client.command({ command: 'Seek', track_id: 'song-c', position_ms: 90001 }), 'E_PLAYBACK', 'position_ms', 'position_ms 90001 is past the end of track song-c (90000 ms)');
    failed(await client.command({ command: 'Pause', track_id: 'song-a' }), 'E_PLAYBACK', 'track_id', 'cannot pause track song-a: this connection is playing song-c');
    await client.command({ command: 'Pause', track_id: 'song-c' });
    failed(await client.command({ command: 'Pause', track_id: 'song-c' }), 'E_PLAYBACK', 'track_id', 'track song-c is already paused');
    expect(client.named('PlaybackStarted')).toHaveLength(1);
    const anonymous = await connect(harness.wsUrl);
    failed(await anonymous.command({ command: 'Play', track_id: 'song-a' }), 'E_FORBIDDEN', 'user_id', 'Play needs a user: connect with ?user_id= (or a token whose subject names one)');
    await Promise.all([client.close(), anonymous.close()]);
  });

  test('a listener who disconnects is announced as stopped', async () => {
    const watcher = await connect(harness.wsUrl, { user_id: 'watcher' });
    await watcher.command({ command: 'Subscribe', events: ['PlaybackStopped'], filters: { user_id: 'leaver' } });
    const leaver = await player('leaver');
    await leaver.command({ command: 'Play', track_id: 'song-b' });
    clock.advance(1500);
    await leaver.close();
    expect(await watcher.waitFor((event) => event.event === 'PlaybackStopped')).toEqual({ event: 'PlaybackStopped', track_id: 'song-b', user_id: 'leaver', total_played_ms: 1500 });
    await watcher.close();
  });
});

describe('AddToPlaylist, RemoveFromPlaylist', () => {
  test('add, move and remove emit PlaylistUpdated with the action and position', async () => {
    const client = await player('u-lists');
    const events = await eventsDuring(client, async () => {
      expect(await client.command({ command: 'AddToPlaylist', playlist_id: 'mix', track_id: 'song-a' })).toMatchObject({
        success: true,
        data: { playlist_id: 'mix', action: 'Added', position: 0, track_count: 1 },
      });
      await client.command({ command: 'AddToPlaylist', playlist_id: 'mix', track_id: 'song-b' });
      await client.command({ command: 'AddToPlaylist', playlist_id: 'mix', track_id: 'song-c', position: 1 });
      await client.command({ command: 'AddToPlaylist', playlist_id: 'mix', track_id: 'song-a', position: 2 });
      expect(await client.command({ command: 'RemoveFromPlaylist', playlist_id: 'mix', track_id: 'song-c' })).toMatchObject({
        success: true,
        data: { playlist_id: 'mix', action: 'Removed', position: 0, track_count: 2 },
      });
    });
    expect(events).toEqual([
      { event: 'PlaylistUpdated', playlist_id: 'mix', action: 'Added', track_id: 'song-a', position: 0 },
      { event: 'PlaylistUpdated', playlist_id: 'mix', action: 'Added', track_id: 'song-b', position: 1 },
      { event: 'PlaylistUpdated', playlist_id: 'mix', action: 'Added', track_id: 'song-c', position: 1 },
      { event: 'PlaylistUpdated', playlist_id: 'mix', action: 'Reordered', track_id: 'song-a', position: 2 },
      { event: 'PlaylistUpdated', playlist_id: 'mix', action: 'Removed', track_id: 'song-c', position: 0 },
    ]);
    await client.close();
  });

  test('failures: unknown track or playlist, bad position, another user\'s playlist, no user', async () => {
    const owner = await player('u-owner');
    const other = await player('u-other');
    await owner.command({ command: 'AddToPlaylist', playlist_id: 'mine', track_id: 'song-a' });
    failed(await owner.command({ command: 'AddToPlaylist', playlist_id: 'mine', track_id: 'nope' }), 'E_UNKNOWN_TRACK', 'track_id', 'unknown track_id "nope": the catalog has no such track');
    failed(await owner.command({ command: 'AddToPlaylist', playlist_id: 'mine', track_id: 'song-b', position: 3 }), 'E_PLAYLIST', 'position', 'position 3 is past the end of playlist mine: positions go from 0 to 1');
    failed(await owner.command({ command: 'RemoveFromPlaylist', playlist_id: 'nope', track_id: 'song-a' }), 'E_PLAYLIST', 'playlist_id', 'unknown playlist nope');
    failed(await owner.command({ command: 'RemoveFromPlaylist', playlist_id: 'mine', track_id: 'song-b' }), 'E_PLAYLIST', 'track_id', 'track song-b is not in playlist mine');
    failed(await other.command({ command: 'AddToPlaylist', playlist_id: 'mine', track_id: 'song-b' }), 'E_FORBIDDEN', 'playlist_id', 'playlist mine belongs to another user');
    failed(await other.command({ command: 'RemoveFromPlaylist', playlist_id: 'mine', track_id: 'song-a' }), 'E_FORBIDDEN', 'playlist_id', 'playlist mine belongs to another user');
    const anonymous = await connect(harness.wsUrl);
    failed(await anonymous.command({ command: 'AddToPlaylist', playlist_id: 'x', track_id: 'song-a' }), 'E_FORBIDDEN', 'user_id', 'AddToPlaylist needs a user: connect with ?user_id= (or a token whose subject names one)');
    expect(owner.named('PlaylistUpdated')).toHaveLength(1);
    await Promise.all([owner.close(), other.close(), anonymous.close()]);
  });
});

describe('Subscribe, Unsubscribe, GetStatus, Ping', () => {
  test('Subscribe answers with the subscriptions; Unsubscribe stops delivery', async () => {
    const client = await connect(harness.wsUrl, { user_id: 'u-sub' });
    expect(await client.command({ command: 'Subscribe', events: ['TrackLiked', 'ServerMessage'], filters: { user_id: 'u-sub' } })).toMatchObject({
      success: true,
      data: { subscriptions: { TrackLiked: { user_id: 'u-sub' }, ServerMessage: { user_id: 'u-sub' } } },
    });
    expect(await client.command({ command: 'Unsubscribe', events: ['ServerMessage', 'LiveStats'] })).toMatchObject({
      success: true,
      data: { subscriptions: { TrackLiked: { user_id: 'u-sub' } } },
    });
    harness.realtime.manager.broadcastEvent({ event: 'ServerMessage', message: 'not for you', level: 'Info' });
    harness.realtime.manager.broadcastEvent({ event: 'TrackLiked', track_id: 'song-a', user_id: 'u-sub', total_likes: 3 });
    await client.waitFor((event) => event.event === 'TrackLiked');
    expect(client.named('ServerMessage')).toEqual([]);
    await client.close();
  });

  test('Subscribe refuses unknown events and filters, naming the field', async () => {
    const client = await connect(harness.wsUrl, { user_id: 'u-sub-bad' });
    failed(
      await client.command({ command: 'Subscribe', events: ['PlaybackStarted', 'SongLiked'] }),
      'E_MESSAGE',
      'events[1]',
      'Expected `events[1]` to be one of PlaybackStarted, PlaybackPaused, PlaybackResumed, PlaybackStopped, PlaybackProgress, PlaylistUpdated, PlaylistShared, TrackLiked, TrackShared, UserFollowed, ServerMessage, RateLimitWarning, CommandResponse, LiveStats, got "SongLiked"',
    );
    const genre = await client.command({ command: 'Subscribe', events: ['PlaybackStarted'], filters: { user_id: 'u', track_genre: 'electronic' } });
    expect(genre).toMatchObject({ success: false, data: { code: 'E_MESSAGE', field: 'filters.track_genre' } });
    failed(await client.command({ command: 'Unsubscribe', events: ['Nope'] }), 'E_MESSAGE', 'events[0]', expect.stringContaining('got "Nope"'));
    expect(await client.command({ command: 'GetStatus' })).toMatchObject({ data: { subscriptions: {} } });
    await client.close();
  });

  test('GetStatus describes the connection, its subscriptions and the server; Ping answers', async () => {
    const client = await connect(harness.wsUrl, { user_id: 'u-status', session_id: 's-1' });
    await client.command({ command: 'Subscribe', events: ['LiveStats'] });
    await client.command({ command: 'Play', track_id: 'song-a', start_position_ms: 10 });
    const status = await client.command({ command: 'GetStatus' });
    expect(status).toMatchObject({
      success: true,
      error: null,
      data: {
        connection: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          user_id: 'u-status',
          authenticated: false,
          ip_address: '127.0.0.1',
          session_id: 's-1',
          connected_at_ms: now,
          last_activity_ms: now,
          playback: { track_id: 'song-a', state: 'playing', position_ms: 10, duration_ms: 210000, played_ms: 0 },
        },
        subscriptions: { LiveStats: null },
        server: {
          total_connections: expect.any(Number),
          current_connections: expect.any(Number),
          messages_sent: expect.any(Number),
          messages_received: expect.any(Number),
          events_broadcasted: expect.any(Number),
        },
      },
    });
    expect((status.data as { server: { current_connections: number } }).server.current_connections).toBe(harness.realtime.manager.size);
    expect(await client.command({ command: 'Ping', command_id: 'ping_001' })).toEqual({
      event: 'CommandResponse',
      command_id: 'ping_001',
      success: true,
      data: { pong: true, server_time_ms: now },
      error: null,
    });
    await client.close();
  });
});

describe('bad messages are answered and the connection stays open', () => {
  test('non-JSON, unknown command, missing and mistyped fields, binary frames', async () => {
    const client = await connect(harness.wsUrl, { user_id: 'u-bad' });
    const answer = async (text: string | Buffer, binary = false) => {
      const before = client.events.length;
      client.sendRaw(text, binary);
      return client.waitFor((event) => event.event === 'CommandResponse' && client.events.indexOf(event) >= before) as Promise<CommandResponse>;
    };
    expect(await answer('Play song-a')).toMatchObject({ command_id: '', success: false, data: { code: 'E_MESSAGE', field: null }, error: expect.stringMatching(/^message is not JSON/) });
    failed(await answer('{"command":"Rewind","command_id":"c1"}'), 'E_MESSAGE', 'command', expect.stringContaining('got "Rewind"'));
    expect(await answer('{"command":"Rewind","command_id":"c1"}')).toMatchObject({ command_id: 'c1' });
    failed(await answer('{"command":"Play","command_id":"c2"}'), 'E_MESSAGE', 'track_id', 'Expected `track_id` to be an id of 1 to 128 printable ASCII characters (no space), got nothing');
    failed(await answer('{"command":"Seek","command_id":"c3","track_id":"song-a","position_ms":"soon"}'), 'E_MESSAGE', 'position_ms', 'Expected `position_ms` to be a number of milliseconds >= 0, got "soon"');
    failed(await answer(Buffer.from('{"command":"Ping","command_id":"c4"}'), true), 'E_MESSAGE', null, 'binary frames are not accepted: send each command as JSON text');
    expect(await client.command({ command: 'Ping' })).toMatchObject({ success: true });
    await client.close();
  });
});
