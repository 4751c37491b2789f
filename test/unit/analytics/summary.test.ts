import { describe, expect, it } from 'vitest';
import { openStore, play, T0 } from '../../helpers/analytics.js';

/**
 * Four scripted plays, each figure worked out by hand (defaults: maxPlaybackRate 2, progressJitterMs
 * 1000, completionRatio 0.9):
 * - A: u1, alpha (100 s), Web, high. Reports every 10 s to the end, buffer 80. Listened 100 s, complete.
 * - B: u2, alpha, Ios, medium. 10 s played (buffer 50); seek to 70 s (buffer 20, not counted);
 *   10 s played (40); switch to low (Bandwidth); a 2 s rebuffer; 10 s played at low (60).
 *   Listened 30 s (medium 20 s, low 10 s), covered 30 %: not complete.
 * - C: u1, beta (60 s), Android, high. 20 s played (100); seek back to 5 s (90); 20 s played (80).
 *   Listened 40 s, covered [0, 25 s]. Left open.
 * - D: no user, beta, Web, low. Ended at once at position 0: listened 0, not complete.
 */
function scriptedStore() {
  const opened = openStore();
  const { store, clock } = opened;
  const report = (id: string, afterMs: number, position: number, health?: number) => {
    clock.advance(afterMs);
    store.updatePlayProgress(id, position, health);
  };

  const a = store.startPlaySession(play({ userId: 'u1', trackId: 'alpha', platform: 'Web', quality: 'high' }));
  for (let position = 10_000; position <= 100_000; position += 10_000) report(a, 10_000, position, 80);
  store.endPlaySession(a);

  clock.ms = T0 + 200_000;
  const b = store.startPlaySession(play({ userId: 'u2', trackId: 'alpha', platform: 'Ios', quality: 'medium' }));
  report(b, 10_000, 10_000, 50);
  report(b, 2000, 70_000, 20);
  report(b, 10_000, 80_000, 40);
  clock.advance(1000);
  store.recordQualitySwitch(b, 'medium', 'low', 'bandwidth');
  store.recordRebuffer(b, 2000);
  report(b, 9000, 90_000, 60);
  store.endPlaySession(b);

  clock.ms = T0 + 400_000;
  const c = store.startPlaySession(play({ userId: 'u1', trackId: 'beta', durationMs: 60_000, platform: 'Android', quality: 'high' }));
  report(c, 20_000, 20_000, 100);
  report(c, 5000, 5000, 90);
  report(c, 20_000, 25_000, 80);

  clock.ms = T0 + 600_000;
  const d = store.startPlaySession(play({ userId: undefined, trackId: 'beta', durationMs: 60_000, platform: 'Web', quality: 'low' }));
  store.endPlaySession(d, 0);
  return { ...opened, ids: { a, b, c, d } };
}

describe('AnalyticsEngine.summary', () => {
  const { store, ids } = scriptedStore();

  it('gives exact totals over every play', async () => {
    const summary = await store.summary();
    expect(summary.since).toBeNull();
    expect(summary.until).toBeNull();
    expect(summary.totals).toEqual({
      plays: 4,
      ended_plays: 3,
      completed_plays: 1,
      completion_rate: 0.3333,
      listened_ms: 170_000,
      average_buffer_health: 72.94, // 1240 over 17 reports
      quality_switches: 1,
      rebuffers: 1,
      rebuffer_ms: 2000,
      rebuffer_ratio: 0.0116, // 2000 / (170000 + 2000)
    });
  });

  it('splits listening time by the quality that played', async () => {
    expect((await store.summary()).quality_distribution).toEqual([
      { quality: 'high', listened_ms: 140_000, share: 0.8235 },
      { quality: 'medium', listened_ms: 20_000, share: 0.1176 },
      { quality: 'low', listened_ms: 10_000, share: 0.0588 },
    ]);
  });

  it('lists tracks, most played first, ties by listening time', async () => {
    const summary = await store.summary();
    expect(summary.track_count).toBe(2);
    expect(summary.tracks).toEqual([
      {
        track_id: 'alpha',
        plays: 2,
        ended_plays: 2,
        completed_plays: 1,
        completion_rate: 0.5,
        listened_ms: 130_000,
          average_buffer_health: 69.29, // 970 over 14 reports
        quality_switches: 1,
        rebuffers: 1,
        rebuffer_ms: 2000,
        rebuffer_ratio: 0.0152,
      },
      {
        track_id: 'beta',
        plays: 2,
        ended_plays: 1,
        completed_plays: 0,
        completion_rate: 0,
        listened_ms: 40_000,
        average_buffer_health: 90,
        quality_switches: 0,
        rebuffers: 0,
        rebuffer_ms: 0,
        rebuffer_ratio: 0,
      },
    ]);
    expect((await store.summary({ trackLimit: 1 })).tracks.map((track) => track.track_id)).toEqual(['alpha']);
  });

  it('counts only the plays started in [since, until)', async () => {
    const later = await store.summary({ sinceMs: T0 + 400_000 });
    expect(later.since).toBe('2024-01-01T00:06:40.000Z');
    expect(later.totals).toMatchObject({ plays: 2, ended_plays: 1, listened_ms: 40_000, completion_rate: 0 });
    const middle = await store.summary({ sinceMs: T0 + 200_000, untilMs: T0 + 400_000 });
    expect(middle.totals).toMatchObject({ plays: 1, listened_ms: 30_000 });
    expect(middle.quality_distribution).toEqual([
      { quality: 'medium', listened_ms: 20_000, share: 0.6667 },
      { quality: 'low', listened_ms: 10_000, share: 0.3333 },
    ]);
    const none = await store.summary({ sinceMs: T0 + 1_000_000 });
    expect(none.totals).toEqual({
      plays: 0,
      ended_plays: 0,
      completed_plays: 0,
      completion_rate: null,
      listened_ms: 0,
      average_buffer_health: null,
      quality_switches: 0,
      rebuffers: 0,
      rebuffer_ms: 0,
      rebuffer_ratio: null,
    });
    expect(none.tracks).toEqual([]);
    expect(none.quality_distribution).toEqual([]);
  });

  it('gives a track its platforms, switches and latest plays', async () => {
    const details = await store.trackDetails('alpha');
    expect(details.totals).toMatchObject({ plays: 2, listened_ms: 130_000, completion_rate: 0.5 });
    expect(details.platforms).toEqual([
      { platform: 'Ios', plays: 1, listened_ms: 30_000 },
      { platform: 'Web', plays: 1, listened_ms: 100_000 },
    ]);
    expect(details.quality_switches).toEqual([{ from: 'medium', to: 'low', reason: 'bandwidth', count: 1 }]);
    expect(details.quality_distribution).toEqual([
      { quality: 'high', listened_ms: 100_000, share: 0.7692 },
      { quality: 'medium', listened_ms: 20_000, share: 0.1538 },
      { quality: 'low', listened_ms: 10_000, share: 0.0769 },
    ]);
    expect(details.recent_sessions.map((session) => session.session_id)).toEqual([ids.b, ids.a]);
    expect(details.recent_sessions[0]).toEqual({
      session_id: ids.b,
      user_id: 'u2',
      track_id: 'alpha',
      ip: '192.0.2.10',
      user_agent: 'test/1.0',
      platform: 'Ios',
      referrer: null,
      duration_ms: 100_000,
      start_quality: 'medium',
      quality: 'low',
      started_at: '2024-01-01T00:03:20.000Z',
      last_seen_at: '2024-01-01T00:03:52.000Z',
      ended_at: '2024-01-01T00:03:52.000Z',
      end_reason: 'Ended',
      position_ms: 90_000,
      listened_ms: 30_000,
      covered_ms: 30_000,
      completion: 0.3,
      completed: false,
      progress_updates: 4,
      average_buffer_health: 42.5,
      quality_switches: 1,
      rebuffers: 1,
      rebuffer_ms: 2000,
    });
  });

  it('shows an open play with its running totals', async () => {
    const details = await store.trackDetails('beta');
    const open = details.recent_sessions.find((session) => session.session_id === ids.c)!;
    expect(open).toMatchObject({ ended_at: null, end_reason: null, listened_ms: 40_000, covered_ms: 25_000, completion: 0.4167, completed: false });
    expect(details.recent_sessions.map((session) => session.session_id)).toEqual([ids.d, ids.c]);
  });

  it('answers zeros for a track never played', async () => {
    const details = await store.trackDetails('gamma');
    expect(details.totals.plays).toBe(0);
    expect(details.recent_sessions).toEqual([]);
    expect(details.platforms).toEqual([]);
  });

  it('includes rows still queued: the queries write first', async () => {
    const { store: fresh, clock } = openStore();
    const id = fresh.startPlaySession(play());
    clock.advance(5000);
    fresh.updatePlayProgress(id, 5000, 100);
    expect(fresh.stats().queued_rows).toBe(1);
    expect((await fresh.summary()).totals).toMatchObject({ plays: 1, listened_ms: 5000, average_buffer_health: 100 });
    expect(fresh.stats().queued_rows).toBe(0);
    fresh.close();
  });
});
