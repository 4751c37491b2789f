import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PlaybackChange } from '../../src/realtime/deps.js';
import { connect, type RealtimeHarness, startRealtime, until } from '../helpers/realtime.js';

/** What `serve` records listening analytics from: every playback change of every connection. */
describe('onPlayback', () => {
  const changes: PlaybackChange[] = [];
  let harness: RealtimeHarness;

  beforeAll(async () => {
    harness = await startRealtime({ deps: { onPlayback: (change) => changes.push(change) } });
  });
  afterAll(() => harness.stop());

  test('is told of Play, Pause, resume, Seek, a Play of another track and the connection closing, with who plays', async () => {
    const client = await connect(harness.wsUrl, { user_id: 'ana', session_id: 'session-1' }, { 'User-Agent': 'TestPlayer/1.0', Origin: 'https://music.example' });
    expect((await client.command({ command: 'Play', track_id: 'song-a', start_position_ms: 1000 })).success).toBe(true);
    expect((await client.command({ command: 'Pause', track_id: 'song-a' })).success).toBe(true);
    expect((await client.command({ command: 'Play', track_id: 'song-a' })).success).toBe(true);
    expect((await client.command({ command: 'Seek', track_id: 'song-a', position_ms: 60_000 })).success).toBe(true);
    expect((await client.command({ command: 'Play', track_id: 'song-c' })).success).toBe(true);
    await client.close();
    await until(() => changes.length === 7, 3000, 'seven playback changes');
    expect(changes.map((change) => [change.kind, change.trackId])).toEqual([
      ['started', 'song-a'],
      ['paused', 'song-a'],
      ['resumed', 'song-a'],
      ['progress', 'song-a'],
      ['stopped', 'song-a'],
      ['started', 'song-c'],
      ['stopped', 'song-c'],
    ]);
    expect(changes[0]).toMatchObject({ positionMs: 1000, durationMs: 210_000, quality: 'high' });
    expect(changes[3]!.positionMs).toBe(60_000);
    expect(changes[4]!.positionMs).toBeGreaterThanOrEqual(60_000);
    expect(changes[0]!.connection).toMatchObject({ userId: 'ana', ipAddress: '127.0.0.1', userAgent: 'TestPlayer/1.0', referrer: 'https://music.example', sessionId: 'session-1' });
    expect(new Set(changes.map((change) => change.connection.id)).size).toBe(1);
  });

  test('a failing observer is logged and the command still succeeds', async () => {
    const failing = await startRealtime({
      deps: {
        onPlayback: () => {
          throw new Error('analytics are down');
        },
      },
    });
    try {
      const client = await connect(failing.wsUrl, { user_id: 'bo' });
      expect((await client.command({ command: 'Play', track_id: 'song-b' })).success).toBe(true);
      expect(failing.logs.some((line) => line.includes('playback observer failed: Error: analytics are down'))).toBe(true);
      await client.close();
    } finally {
      await failing.stop();
    }
  });
});
