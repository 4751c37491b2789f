import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/store.js';
import { InProcessBroker, type QualityChanged, tracksFromCatalog } from '../../src/realtime/index.js';
import type { LiveStats } from '../../src/realtime/protocol.js';
import type { QualityChange } from '../../src/streaming/types.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { connect, delay, startRealtimePerTest } from '../helpers/realtime.js';
import { tempDir } from '../helpers/temp.js';

const start = startRealtimePerTest();

const liked = (user_id: string, track_id = 'song-a') => ({ event: 'TrackLiked' as const, track_id, user_id, total_likes: 1 });

describe('delivery rules', () => {
  test('a connection that never subscribed gets no broadcast, but its direct messages', async () => {
    const { wsUrl, realtime } = await start();
    const quiet = await connect(wsUrl, { user_id: 'quiet' });
    const subscribed = await connect(wsUrl, { user_id: 'loud' });
    await subscribed.command({ command: 'Subscribe', events: ['TrackLiked'] });
    realtime.manager.broadcastEvent(liked('anyone'));
    await subscribed.waitFor((event) => event.event === 'TrackLiked');
    const status = await quiet.command({ command: 'GetStatus' });
    const { id } = (status.data as { connection: { id: string } }).connection;
    realtime.manager.sendToConnection(id, { event: 'ServerMessage', message: 'to you', level: 'Warning' });
    realtime.manager.sendToUser('quiet', { event: 'ServerMessage', message: 'to your user', level: 'Info' });
    await quiet.waitFor((event) => event.event === 'ServerMessage' && event.message === 'to your user');
    expect(quiet.events.filter((event) => event.event !== 'CommandResponse')).toEqual([
      { event: 'ServerMessage', message: 'to you', level: 'Warning' },
      { event: 'ServerMessage', message: 'to your user', level: 'Info' },
    ]);
    expect(subscribed.named('ServerMessage')).toEqual([]);
  });

  test('a user_id-filtered subscriber gets only that user\'s events', async () => {
    const { wsUrl } = await start();
    const follower = await connect(wsUrl, { user_id: 'fan' });
    await follower.command({ command: 'Subscribe', events: ['PlaybackStarted', 'PlaybackStopped', 'ServerMessage'], filters: { user_id: 'star' } });
    const star = await connect(wsUrl, { user_id: 'star' });
    const nobody = await connect(wsUrl, { user_id: 'nobody' });
    await nobody.command({ command: 'Play', track_id: 'song-b' });
    await star.command({ command: 'Play', track_id: 'song-a' });
    await nobody.command({ command: 'Stop', track_id: 'song-b' });
    await star.command({ command: 'Stop', track_id: 'song-a' });
    await follower.waitFor((event) => event.event === 'PlaybackStopped');
    await follower.command({ command: 'Ping' });
    const received = follower.events.filter((event) => event.event !== 'CommandResponse');
    expect(received.map((event) => [event.event, 'user_id' in event ? event.user_id : null])).toEqual([
      ['PlaybackStarted', 'star'],
      ['PlaybackStopped', 'star'],
    ]);
  });

  test('a track_id filter and several filters together', async () => {
    const { wsUrl, realtime } = await start();
    const client = await connect(wsUrl, { user_id: 'f' });
    await client.command({ command: 'Subscribe', events: ['TrackLiked'], filters: { track_id: 'song-c', user_id: 'x' } });
    for (const event of [liked('x', 'song-a'), liked('y', 'song-c'), liked('x', 'song-c')]) realtime.manager.broadcastEvent(event);
    await client.waitFor((event) => event.event === 'TrackLiked');
    await client.command({ command: 'Ping' });
    expect(client.named('TrackLiked')).toEqual([liked('x', 'song-c')]);
  });

  test('send_to_user reaches every connection of the user and no one else', async () => {
    const { wsUrl, realtime } = await start();
    const phone = await connect(wsUrl, { user_id: 'ana' });
    const laptop = await connect(wsUrl, { user_id: 'ana' });
    const someoneElse = await connect(wsUrl, { user_id: 'bob' });
    await someoneElse.command({ command: 'Subscribe', events: ['UserFollowed'] });
    const event = { event: 'UserFollowed' as const, follower_id: 'bob', followed_id: 'ana' };
    realtime.manager.sendToUser('ana', event);
    expect(await phone.waitFor((received) => received.event === 'UserFollowed')).toEqual(event);
    expect(await laptop.waitFor((received) => received.event === 'UserFollowed')).toEqual(event);
    await someoneElse.command({ command: 'Ping' });
    expect(someoneElse.named('UserFollowed')).toEqual([]);
    expect(realtime.manager.getStats()).toMatchObject({ events_broadcasted: 0 });
  });

  test('events travel through the broker: two servers sharing one reach each other\'s connections', async () => {
    const broker = new InProcessBroker();
    const first = await start({ deps: { broker } });
    const second = await start({ deps: { broker } });
    const here = await connect(first.wsUrl, { user_id: 'ana' });
    const there = await connect(second.wsUrl, { user_id: 'ana' });
    await there.command({ command: 'Subscribe', events: ['PlaybackStarted'] });
    await here.command({ command: 'Play', track_id: 'song-a' });
    expect(await there.waitFor((event) => event.event === 'PlaybackStarted')).toMatchObject({ user_id: 'ana', track_id: 'song-a' });
    first.realtime.manager.sendToUser('ana', { event: 'ServerMessage', message: 'both', level: 'Info' });
    await here.waitFor((event) => event.event === 'ServerMessage');
    await there.waitFor((event) => event.event === 'ServerMessage');
  });
});

describe('LiveStats', () => {
  test('pushed every interval from the connections\' playback, top tracks named from the catalog', async () => {
    const { wsUrl } = await start({ options: { liveStatsIntervalMs: 50 } });
    const [a1, a2, c1, paused] = await Promise.all(['l1', 'l2', 'l3', 'l4'].map((user) => connect(wsUrl, { user_id: user })));
    await a1!.command({ command: 'Play', track_id: 'song-a' });
    await a2!.command({ command: 'Play', track_id: 'song-a' });
    await c1!.command({ command: 'Play', track_id: 'song-b' });
    await paused!.command({ command: 'Play', track_id: 'song-c' });
    await paused!.command({ command: 'Pause', track_id: 'song-c' });
    const watcher = await connect(wsUrl, { user_id: 'watcher' });
    await watcher.command({ command: 'Subscribe', events: ['LiveStats'] });
    const stats = (await watcher.waitFor((event) => event.event === 'LiveStats')) as LiveStats;
    expect(stats).toEqual({
      event: 'LiveStats',
      concurrent_listeners: 3,
      top_tracks: [
        { track_id: 'song-a', title: 'Song A', artist: 'Artist A', current_listeners: 2 },
        { track_id: 'song-b', title: 'Song B', artist: '', current_listeners: 1 },
      ],
      server_load: expect.any(Number),
    });
    expect(stats.server_load).toBeGreaterThanOrEqual(0);
    expect(stats.server_load).toBeLessThanOrEqual(1);
    await a1!.close();
    await watcher.waitFor((event) => event.event === 'LiveStats' && event.concurrent_listeners === 2);
    const count = watcher.named('LiveStats').length;
    await delay(200);
    expect(watcher.named('LiveStats').length).toBeGreaterThan(count);
  });

  test('from a packaged catalog: Play answers its duration and first quality, LiveStats its tags', async () => {
    const out = tempDir('hlsaudio-realtime-catalog-');
    const packaged = await runCli(['package', join(FIXTURES, 'wav-44k-stereo.wav'), '-o', out, '--quiet']);
    expect(packaged.code, packaged.stderr).toBe(0);
    const catalog = await readCatalog(out);
    const { wsUrl } = await start({ deps: { tracks: tracksFromCatalog(catalog!) }, options: { liveStatsIntervalMs: 50 } });
    const client = await connect(wsUrl, { user_id: 'listener' });
    expect(await client.command({ command: 'Play', track_id: 'wav-44k-stereo' })).toMatchObject({ success: true, data: { track_duration_ms: 12000, quality: 'high' } });
    expect(await client.command({ command: 'Play', track_id: 'song-a' })).toMatchObject({ success: false, data: { code: 'E_UNKNOWN_TRACK' } });
    await client.command({ command: 'Subscribe', events: ['LiveStats'] });
    expect(await client.waitFor((event) => event.event === 'LiveStats')).toMatchObject({
      concurrent_listeners: 1,
      top_tracks: [{ track_id: 'wav-44k-stereo', title: 'Chord Study', artist: 'Fixture Band', current_listeners: 1 }],
    });
  });
});

describe('quality changes', () => {
  test('reach the session\'s connection, and the user\'s connections that named no session, as QualityChanged', async () => {
    let emit: (change: QualityChange) => void = () => {};
    const { wsUrl } = await start({
      deps: {
        sessions: {
          qualityFor: () => undefined,
          onQualityChange: (listener) => {
            emit = listener;
            return () => (emit = () => {});
          },
        },
      },
    });
    const session = await connect(wsUrl, { user_id: 'ana', session_id: 's-1' });
    const otherSession = await connect(wsUrl, { user_id: 'ana', session_id: 's-2' });
    const noSession = await connect(wsUrl, { user_id: 'ana' });
    const stranger = await connect(wsUrl, { user_id: 'bob' });
    const change: QualityChange = {
      session_id: 's-1',
      track_id: 'song-a',
      user_id: 'ana',
      from_quality: 'high',
      to_quality: 'medium',
      direction: 'down',
      reason: 'buffer_low',
      master_url: '/hls/song-a/master.m3u8?session=s-1',
      timestamp: 1_767_225_600_000,
    };
    emit(change);
    const event = (await session.waitFor((event) => event.event === 'QualityChanged')) as QualityChanged;
    expect(event).toEqual({ event: 'QualityChanged', ...change });
    expect(await noSession.waitFor((event) => event.event === 'QualityChanged')).toEqual(event);
    await Promise.all([otherSession.command({ command: 'Ping' }), stranger.command({ command: 'Ping' })]);
    expect(otherSession.named('QualityChanged')).toEqual([]);
    expect(stranger.named('QualityChanged')).toEqual([]);
    expect(session.named('ServerMessage')).toEqual([]);
  });
});
