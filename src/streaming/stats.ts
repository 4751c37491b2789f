import type { StreamingSession, StreamingStats } from './types.js';

export interface StatsCounters {
  created: number;
  ended: number;
  expired: number;
}

/**
 * `get_streaming_stats` over the active sessions. The rebuffer ratio is reported stall time over
 * session age: the server does not know play time, and a session lives about as long as its playback.
 */
export function streamingStats(
  sessions: readonly { session: StreamingSession; reported: boolean }[],
  counters: StatsCounters,
  nowMs: number,
  monitorRunning: boolean,
): StreamingStats {
  const byQuality: Record<string, number> = {};
  let bufferSum = 0;
  let reporting = 0;
  let rebufferMs = 0;
  let ageMs = 0;
  let rebuffers = 0;
  let switches = 0;
  for (const { session, reported } of sessions) {
    byQuality[session.current_quality] = (byQuality[session.current_quality] ?? 0) + 1;
    const metrics = session.performance_metrics;
    if (reported) {
      bufferSum += metrics.buffer_health_percentage;
      reporting++;
    }
    rebufferMs += metrics.rebuffer_duration_ms;
    ageMs += Math.max(0, nowMs - Date.parse(session.created_at));
    rebuffers += metrics.rebuffer_count;
    switches += metrics.quality_switches;
  }
  return {
    active_sessions: sessions.length,
    sessions_by_quality: byQuality,
    average_buffer_health_percentage: reporting === 0 ? null : round(bufferSum / reporting, 2),
    rebuffer_ratio: ageMs === 0 ? 0 : round(Math.min(1, rebufferMs / ageMs), 4),
    total_rebuffers: rebuffers,
    total_quality_switches: switches,
    sessions_created: counters.created,
    sessions_ended: counters.ended,
    sessions_expired: counters.expired,
    quality_monitor_running: monitorRunning,
  };
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
