import { describe, expect, it } from 'vitest';
import { AdaptiveStreamingManager } from '../../../src/streaming/manager.js';
import type { PerformanceMetrics, QualityChange, StreamingSession } from '../../../src/streaming/types.js';
import { fakeTrack } from '../../helpers/ladder.js';

/** A manager over one fake track, on a clock the test moves. */
function setup(options: ConstructorParameters<typeof AdaptiveStreamingManager>[1] = {}) {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const manager = new AdaptiveStreamingManager({ getTrack: async (id) => (id === 'song' ? fakeTrack('song') : undefined) }, { now: () => clock.now, ...options });
  /** The monitor's decisions: the changes whose reason is not the client's. */
  const recommendations: QualityChange[] = [];
  manager.on('quality-changed', (change) => {
    if (change.reason !== 'user' && change.reason !== 'player') recommendations.push(change);
  });
  return { manager, clock, recommendations };
}

const desktop = (bandwidth: number) => ({ estimated_bandwidth_kbps: bandwidth, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true }) as const;
const good = { buffer_health_percentage: 95, download_speed_kbps: 2000, packet_loss_percentage: 0, latency_ms: 40 };

describe('AdaptiveStreamingManager quality monitor', () => {
  it('follows a scripted sequence of reports with hysteresis: no flapping, fast down, slow up', async () => {
    const { manager, clock, recommendations } = setup();
    manager.startQualityMonitor();
    const { session, profile } = await manager.createSession({ trackId: 'song', capabilities: desktop(400), clientId: 'test' });
    expect(profile.quality_id).toBe('medium');
    const steps: [Partial<PerformanceMetrics>, string][] = [
      // Plenty of room, but up waits for 4 good reports in a row and 20 s after the last switch (creation).
      ...Array.from({ length: 9 }, () => [good, 'medium'] as [Partial<PerformanceMetrics>, string]),
      [good, 'high'], // t = 20 s
      // A noisy link: bad and middling reports alternate; a step down needs two bad in a row.
      [{ ...good, buffer_health_percentage: 25 }, 'high'],
      [{ ...good, buffer_health_percentage: 60 }, 'high'],
      [{ ...good, buffer_health_percentage: 25 }, 'high'],
      [{ ...good, packet_loss_percentage: 3 }, 'high'], // between the bands: neither up nor down
      [{ ...good, latency_ms: 1500 }, 'high'],
      [{ ...good, buffer_health_percentage: 60 }, 'high'],
      [{ ...good, buffer_health_percentage: 20 }, 'high'],
      [{ ...good, buffer_health_percentage: 20 }, 'medium'], // two bad in a row: one step down
      // Good again at once: no step back up before 20 s have passed.
      ...Array.from({ length: 9 }, () => [good, 'medium'] as [Partial<PerformanceMetrics>, string]),
      [good, 'high'],
      // The speed falls under what high needs (400 > 0.8 x 300) twice: down to what the speed fits.
      [{ ...good, download_speed_kbps: 300 }, 'high'],
      [{ ...good, download_speed_kbps: 300 }, 'mobile'],
      // A rebuffer steps down at once, but mobile is the floor of the AAC family.
      [{ ...good, download_speed_kbps: 300, rebuffer_count: 1, rebuffer_duration_ms: 800 }, 'mobile'],
    ];
    const seen = [];
    for (const [metrics, expected] of steps) {
      clock.now += 2000;
      const after = await manager.reportMetrics(session.session_id, { ...good, ...metrics });
      seen.push(after.current_quality);
      expect(after.current_quality, `report ${seen.length}`).toBe(expected);
    }
    expect(recommendations.map((r) => [r.from_quality, r.to_quality, r.direction, r.reason])).toEqual([
      ['medium', 'high', 'up', 'bandwidth_headroom'],
      ['high', 'medium', 'down', 'buffer_low'],
      ['medium', 'high', 'up', 'bandwidth_headroom'],
      ['high', 'mobile', 'down', 'bandwidth'],
    ]);
    const final = await manager.getSession(session.session_id);
    expect(final.performance_metrics.quality_switches).toBe(4);
    expect(final.recommendation).toMatchObject({ to_quality: 'mobile', profile: { quality_id: 'mobile', bitrate_kbps: 96 }, master_url: `/hls/song/master.m3u8?session=${session.session_id}` });
  });

  it('steps down at once on a new rebuffer, and not again for the same count', async () => {
    const { manager, clock, recommendations } = setup();
    manager.startQualityMonitor();
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'test' });
    clock.now += 1000;
    expect((await manager.reportMetrics(session.session_id, { ...good, rebuffer_count: 1 })).current_quality).toBe('medium');
    clock.now += 1000;
    expect((await manager.reportMetrics(session.session_id, { ...good, buffer_health_percentage: 50 })).current_quality).toBe('medium'); // rebuffer_count kept at 1
    expect(recommendations.map((r) => r.reason)).toEqual(['rebuffer']);
  });

  it('makes no decision while the monitor is stopped or for a session without adaptation, but stores the metrics', async () => {
    const { manager, clock, recommendations } = setup();
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'test' });
    clock.now += 1000;
    await manager.reportMetrics(session.session_id, { ...good, rebuffer_count: 3 });
    manager.startQualityMonitor();
    const fixed = await manager.createSession({ trackId: 'song', capabilities: { ...desktop(1000), adaptive_enabled: false, preferred_quality: 'high' }, clientId: 'test' });
    for (let i = 0; i < 3; i++) await manager.reportMetrics(fixed.session.session_id, { ...good, buffer_health_percentage: 5, rebuffer_count: i + 1 });
    expect(recommendations).toEqual([]);
    expect((await manager.getSession(session.session_id)).performance_metrics).toMatchObject({ rebuffer_count: 3, buffer_health_percentage: 95 });
    // The stalls reported before the monitor started are not taken for a new one.
    expect((await manager.reportMetrics(session.session_id, { ...good, rebuffer_count: 3 })).current_quality).toBe('high');
    expect((await manager.getSession(fixed.session.session_id)).current_quality).toBe('high');
  });
});

describe('AdaptiveStreamingManager sessions', () => {
  it('creates, switches by request, reports, ends, and counts', async () => {
    const { manager, clock } = setup();
    const events: string[] = [];
    manager.on('session-created', (s: StreamingSession) => events.push(`created ${s.current_quality}`));
    manager.on('quality-changed', (change, s: StreamingSession) => events.push(`changed ${change.from_quality}->${s.current_quality}`));
    manager.on('session-ended', (_session: StreamingSession, reason) => events.push(`ended ${reason}`));
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'client-1' });
    expect(session).toMatchObject({ track_id: 'song', client_id: 'client-1', current_quality: 'high', created_at: '2026-01-01T00:00:00.000Z', recommendation: null });
    await manager.updateSessionQuality(session.session_id, 'low');
    await manager.updateSessionQuality(session.session_id, 'low'); // no change, no switch
    expect(await manager.sessionProfile(session.session_id)).toMatchObject({ masterFile: 'master-mp3.m3u8', profile: { codec: 'mp3' } });
    clock.now += 10_000;
    await manager.reportMetrics(session.session_id, { buffer_health_percentage: 70, download_speed_kbps: 900, rebuffer_duration_ms: 1000, rebuffer_count: 1 });
    expect(await manager.getStreamingStats()).toEqual({
      active_sessions: 1,
      sessions_by_quality: { low: 1 },
      average_buffer_health_percentage: 70,
      rebuffer_ratio: 0.1,
      total_rebuffers: 1,
      total_quality_switches: 1,
      sessions_created: 1,
      sessions_ended: 0,
      sessions_expired: 0,
      quality_monitor_running: false,
    });
    expect((await manager.endSession(session.session_id)).session_id).toBe(session.session_id);
    await expect(manager.getSession(session.session_id)).rejects.toMatchObject({ code: 'E_UNKNOWN_SESSION' });
    expect(events).toEqual(['created high', 'changed high->low', 'ended ended']);
    expect(await manager.getStreamingStats()).toMatchObject({ active_sessions: 0, average_buffer_health_percentage: null, sessions_ended: 1 });
  });

  it('tells why the quality changed: the monitor\'s reason, the listener (user) or the player\'s ABR (player)', async () => {
    const { manager, clock } = setup();
    manager.startQualityMonitor();
    const changes: string[] = [];
    manager.on('quality-changed', (change) => changes.push(`${change.from_quality}->${change.to_quality} ${change.reason}`));
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'x' });
    // All on one clock tick: the reason is told, not guessed from timestamps.
    await manager.reportMetrics(session.session_id, { ...good, rebuffer_count: 1 });
    await manager.updateSessionQuality(session.session_id, 'high');
    await manager.updateSessionQuality(session.session_id, 'mobile', { reason: 'player' });
    clock.now += 1000;
    await manager.updateSessionQuality(session.session_id, 'medium', { reason: 'user' });
    expect(changes).toEqual(['high->medium rebuffer', 'medium->high user', 'high->mobile player', 'mobile->medium user']);
  });

  it('takes adaptive_enabled with a quality: off, the monitor no longer overrides the forced choice; on again, it judges again', async () => {
    const { manager, clock, recommendations } = setup();
    manager.startQualityMonitor();
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'x' });
    const forced = await manager.updateSessionQuality(session.session_id, 'high', { adaptiveEnabled: false });
    expect(forced.client_capabilities.adaptive_enabled).toBe(false);
    for (let i = 1; i <= 3; i++) {
      clock.now += 1000;
      expect((await manager.reportMetrics(session.session_id, { ...good, buffer_health_percentage: 5, rebuffer_count: i })).current_quality).toBe('high');
    }
    expect(recommendations).toEqual([]);
    // Without adaptive_enabled the setting stays as it is.
    expect((await manager.updateSessionQuality(session.session_id, 'high')).client_capabilities.adaptive_enabled).toBe(false);
    await manager.updateSessionQuality(session.session_id, 'high', { adaptiveEnabled: true, reason: 'player' });
    clock.now += 1000;
    expect((await manager.reportMetrics(session.session_id, { ...good, rebuffer_count: 4 })).current_quality).toBe('medium');
    expect(recommendations.map((r) => r.reason)).toEqual(['rebuffer']);
  });

  it('refuses an unknown track and an unknown quality', async () => {
    const { manager } = setup();
    await expect(manager.createSession({ trackId: 'nope', capabilities: desktop(1000), clientId: 'x' })).rejects.toMatchObject({ code: 'E_UNKNOWN_TRACK', message: 'No track "nope" in the catalog' });
    const { session } = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'x' });
    await expect(manager.updateSessionQuality(session.session_id, 'ultra')).rejects.toMatchObject({
      code: 'E_UNKNOWN_QUALITY',
      message: 'Expected `quality` to be one of high, medium, low, mobile, got "ultra"',
    });
  });

  it('expires sessions idle past sessionIdleMs; any request about a session keeps it alive', async () => {
    const { manager, clock } = setup({ sessionIdleMs: 60_000 });
    const ended: string[] = [];
    manager.on('session-ended', (s, reason) => ended.push(`${s.client_id} ${reason}`));
    const a = await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'a' });
    await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'b' });
    clock.now += 50_000;
    await manager.getSession(a.session.session_id);
    clock.now += 20_000;
    expect(await manager.expireIdleSessions()).toBe(1);
    expect(ended).toEqual(['b expired']);
    expect((await manager.getSession(a.session.session_id)).client_id).toBe('a');
    expect(await manager.getStreamingStats()).toMatchObject({ active_sessions: 1, sessions_expired: 1 });
  });

  it('refuses a session past maxSessions unless idle ones can expire', async () => {
    const { manager, clock } = setup({ maxSessions: 2, sessionIdleMs: 1000 });
    await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'a' });
    await manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'b' });
    await expect(manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'c' })).rejects.toMatchObject({ code: 'E_TOO_MANY_SESSIONS' });
    clock.now += 2000;
    await expect(manager.createSession({ trackId: 'song', capabilities: desktop(1000), clientId: 'c' })).resolves.toBeDefined();
    expect(manager.sessionCount).toBe(1);
  });
});
