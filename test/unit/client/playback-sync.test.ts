import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlaybackSync } from '../../../src/client/playback-sync.js';
import { StreamingApiError } from '../../../src/client/streaming-client.js';
import { catalogEntry, FakeApi, FakePlayer, FakeRealtime } from '../../helpers/playback-fakes.js';
import type { QualityChanged } from '../../../src/realtime/protocol.js';

/** PlaybackSync against a fake element, player, connections and sessions API, on vitest's fake clock. */
let player: FakePlayer;
let realtime: FakeRealtime;
let api: FakeApi;
let sync: PlaybackSync;
const groove = catalogEntry('groove');
const ballad = catalogEntry('ballad');

/** Lets every promise chain under way settle (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0);
}

async function playing(track = groove): Promise<void> {
  void sync.load(track);
  await settle();
  player.loaded();
  await settle();
}

beforeEach(() => {
  vi.useFakeTimers();
  player = new FakePlayer();
  realtime = new FakeRealtime();
  api = new FakeApi();
  sync = new PlaybackSync({ player, api, connect: realtime.connect, userId: 'u1', capabilities: (mode) => ({ estimated_bandwidth_kbps: 0, buffer_duration_ms: 30_000, connection_type: 'Unknown', device_type: 'Desktop', preferred_quality: mode === 'auto' ? null : mode, adaptive_enabled: mode === 'auto' }) });
  sync.start();
});

afterEach(() => {
  sync.dispose();
  vi.useRealTimers();
});

describe('PlaybackSync', () => {
  it('makes a session for the chosen track, opens its connection and tells the server play, pause, seek and end', async () => {
    await playing();
    expect(api.created).toEqual([{ trackId: 'groove', adaptive: true, preferred: null, bandwidth: 0 }]);
    expect(realtime.last.sessionId).toBe('s1');
    expect(realtime.connections[0]!.closed).toBe(true);
    expect(player.loads).toEqual([{ track: 'groove', session: 's1' }]);
    expect(sync.state).toMatchObject({ connection: 'open', session: { session_id: 's1' }, sessionQuality: 'medium', track: groove });
    player.media.currentTime = 3.2;
    player.media.pause(); // a media key, not the page: the server is told all the same
    await settle();
    player.media.play();
    await settle();
    sync.seek(12.345);
    await settle();
    sync.seek(999); // clamped to the track
    await settle();
    player.media.end();
    await settle();
    expect(realtime.playbackCommands()).toEqual(['Play groove 0', 'Pause groove', 'Play groove 3200', 'Seek groove 12345', 'Seek groove 60000', 'Stop groove']);
    expect(realtime.sent.filter((s) => s.command.command !== 'Subscribe').every((s) => s.sessionId === 's1')).toBe(true);
  });

  it('sends nothing for the player\'s own reload or a stall\'s recovery, and stays paused through a reload made while paused', async () => {
    await playing();
    player.reloading = true; // a media error's recovery: the element pauses and plays again
    player.media.pause();
    player.media.play();
    await settle();
    player.loaded(false);
    await settle();
    player.media.pause();
    await settle();
    player.reloading = true; // a switch of codec family while paused
    player.loaded(false);
    await settle();
    expect(realtime.playbackCommands()).toEqual(['Play groove 0', 'Pause groove']);
  });

  it('tells the progress as a Seek every progressIntervalMs while playing, not on every timeupdate', async () => {
    await playing();
    for (let t = 1; t <= 24; t++) {
      player.media.currentTime = t / 4;
      player.media.fire('timeupdate');
      await vi.advanceTimersByTimeAsync(250);
    }
    player.media.fire('timeupdate');
    await settle();
    expect(realtime.playbackCommands()).toEqual(['Play groove 0', 'Seek groove 5250']);
  });

  it('posts metrics every metricsIntervalMs while playing, none while paused', async () => {
    await playing();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.metrics).toEqual(['s1', 's1']);
    player.media.pause();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.metrics).toEqual(['s1', 's1']);
  });

  it('reports the listener\'s choice with adaptive_enabled and reason, and in Auto what the player plays', async () => {
    await playing();
    player.plays('medium'); // the session's own quality: nothing to report
    await settle();
    sync.chooseQuality('low');
    player.plays('low'); // forced: not the player's choice
    await settle();
    sync.chooseQuality('auto');
    player.plays('high');
    await settle();
    expect(api.qualityReports.map((r) => r.report)).toEqual([
      { quality: 'low', adaptive_enabled: false, reason: 'user' },
      { quality: 'low', adaptive_enabled: true, reason: 'user' },
      { quality: 'high', reason: 'player' },
    ]);
    expect(sync.state.sessionQuality).toBe('high');
  });

  it('takes the server\'s QualityChanged for its session as the session\'s quality, and nothing else', async () => {
    await playing();
    const change: QualityChanged = { event: 'QualityChanged', session_id: 's1', track_id: 'groove', user_id: 'u1', from_quality: 'medium', to_quality: 'mobile', direction: 'down', reason: 'buffer_low', master_url: '/hls/groove/master.m3u8?session=s1', timestamp: 1 };
    realtime.last.receive(change);
    expect(sync.state).toMatchObject({ sessionQuality: 'mobile', qualityChange: { to_quality: 'mobile', reason: 'buffer_low' } });
    realtime.last.receive({ ...change, from_quality: 'mobile', to_quality: 'high', direction: 'up', reason: 'bandwidth_headroom', timestamp: 2 });
    expect(sync.state).toMatchObject({ sessionQuality: 'high', qualityChange: { direction: 'up', reason: 'bandwidth_headroom' } });
    // The old ServerMessage form of a recommendation is a message like any other now.
    realtime.last.receive({ event: 'ServerMessage', level: 'Info', message: 'quality_recommendation {"session_id":"s1","track_id":"groove","from":"high","to":"low","reason":"rebuffer"}' });
    realtime.last.receive({ ...change, session_id: 'other', to_quality: 'low' });
    expect(sync.state.sessionQuality).toBe('high');
    player.plays('high'); // what the server already holds: no report
    await settle();
    expect(api.qualityReports).toEqual([]);
  });

  it('tells a new connection after a reconnection where the listener is, and that it is paused', async () => {
    await playing();
    player.media.currentTime = 20;
    player.media.pause();
    await settle();
    const connection = realtime.last;
    connection.drop();
    expect(sync.state.connection).toBe('reconnecting');
    player.media.currentTime = 21; // a seek while disconnected is sent nowhere
    sync.seek(21);
    await settle();
    connection.reopen();
    await settle();
    expect(realtime.playbackCommands()).toEqual(['Play groove 0', 'Pause groove', 'Play groove 21000', 'Pause groove']);
    expect(api.created).toHaveLength(1); // same server: same session
  });

  it('makes a new session on the forced variant when /healthz names another boot, and tells its connection', async () => {
    await playing();
    sync.chooseQuality('low');
    await settle();
    player.media.currentTime = 30;
    const before = realtime.last;
    before.drop();
    api.bootId = 'boot-2';
    before.reopen();
    await settle();
    expect(api.created.at(-1)).toEqual({ trackId: 'groove', adaptive: false, preferred: 'low', bandwidth: 0 });
    expect(realtime.last.sessionId).toBe('s2');
    expect(sync.state.session?.session_id).toBe('s2');
    expect(realtime.sent.filter((s) => s.command.command === 'Play').map((s) => [s.sessionId, s.command])).toEqual([
      ['s1', { command: 'Play', command_id: expect.stringMatching(/^Play-/), track_id: 'groove', start_position_ms: 0 }],
      ['s2', { command: 'Play', command_id: expect.stringMatching(/^Play-/), track_id: 'groove', start_position_ms: 30_000 }],
    ]);
    expect(player.loads).toHaveLength(1); // the media plays on
  });

  it('makes a new session when the session expired (404 E_UNKNOWN_SESSION), and nothing for other errors', async () => {
    await playing();
    api.failure = new StreamingApiError('E_INTERNAL', 'boom', 500);
    await vi.advanceTimersByTimeAsync(5000);
    await settle();
    expect(api.created).toHaveLength(1);
    api.failure = new StreamingApiError('E_UNKNOWN_SESSION', 'No streaming session "s1"', 404);
    await vi.advanceTimersByTimeAsync(5000);
    api.failure = undefined;
    await settle();
    expect(api.created).toHaveLength(2);
    expect(sync.state.session?.session_id).toBe('s2');
    expect(realtime.last.sessionId).toBe('s2');
    expect(realtime.sent.filter((s) => s.sessionId === 's2' && s.command.command === 'Play')).toHaveLength(1);
  });

  it('asks GetStatus when the server refuses a Play or Pause as already done, and goes on from there', async () => {
    realtime.refuse = (command) => (command.command === 'Pause' ? 'E_PLAYBACK' : undefined);
    await playing();
    realtime.status = { track_id: 'groove', state: 'paused', position_ms: 0 };
    player.media.pause();
    await settle();
    realtime.refuse = () => undefined;
    player.media.play();
    await settle();
    expect(realtime.sent.map((s) => s.command.command).filter((name) => name !== 'Subscribe')).toEqual(['Play', 'Pause', 'GetStatus', 'Play']);
    expect(sync.state.error).toBe('');
  });

  it('plays the last of two quick choices, whatever order their sessions come in, and ends the other session', async () => {
    api.holdTrack = 'ballad';
    void sync.load(ballad);
    await settle();
    void sync.load(groove);
    await settle();
    api.holds.get('ballad')!();
    await settle();
    player.loaded();
    await settle();
    expect(player.loads).toEqual([{ track: 'groove', session: 's2' }]);
    expect(api.ended).toEqual(['s1']);
    expect(sync.state.track).toBe(groove);
    expect(realtime.playbackCommands()).toEqual(['Play groove 0']);
  });

  it('stops the track playing before the next one starts, on the old connection', async () => {
    await playing();
    await playing(ballad);
    expect(realtime.sent.filter((s) => s.command.command !== 'Subscribe').map((s) => `${s.sessionId} ${s.command.command}`)).toEqual(['s1 Play', 's1 Stop', 's2 Play']);
  });
});
