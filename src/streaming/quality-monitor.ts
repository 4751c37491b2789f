import { streamingDefaults } from '../defaults.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import type { PerformanceMetrics, SwitchDirection, SwitchReason } from './types.js';

export interface MonitorOptions {
  bandwidthSafetyFactor: number;
  upBandwidthFactor: number;
  downBufferHealthPct: number;
  downPacketLossPct: number;
  downLatencyMs: number;
  downConsecutiveReports: number;
  upBufferHealthPct: number;
  upPacketLossPct: number;
  upLatencyMs: number;
  upConsecutiveReports: number;
  upHoldAfterSwitchMs: number;
}

export const defaultMonitorOptions: MonitorOptions = streamingDefaults;

/** What the monitor remembers of a session between reports. */
export interface MonitorState {
  /** Reports in a row that asked for a step down / allowed a step up. */
  downStreak: number;
  upStreak: number;
  lastSwitchAtMs: number;
  /** `rebuffer_count` of the previous report: a rise means the player stalled since. */
  lastRebufferCount: number;
}

export function initialMonitorState(nowMs: number): MonitorState {
  return { downStreak: 0, upStreak: 0, lastSwitchAtMs: nowMs, lastRebufferCount: 0 };
}

export interface SwitchDecision {
  to: AdaptiveProfile;
  direction: SwitchDirection;
  reason: SwitchReason;
}

/**
 * One metrics report judged against the playing profile. Decisions are taken on reports, not on a
 * timer: a report is the only new evidence, and counting timer ticks over the same report would make
 * the hysteresis depend on the tick rate. Hysteresis, so that a noisy link does not flap:
 * - the bands for down and up do not touch (buffer below 30% vs at least 80%; the current profile no
 *   longer fitting the speed at 0.8 vs the next one fitting at 0.7);
 * - down needs `downConsecutiveReports` bad reports in a row, except a new rebuffer, which steps
 *   down at once (the listener already heard the stall);
 * - up needs `upConsecutiveReports` good reports in a row and `upHoldAfterSwitchMs` since the last
 *   switch, and moves one profile at a time; down may skip to the profile the speed fits.
 * `family` is the playing profile's codec family, highest bit rate first, already cut at the
 * client's cap; a download speed of 0 means "not measured" and neither fails nor passes a bandwidth test.
 */
export function assessReport(
  state: MonitorState,
  metrics: PerformanceMetrics,
  current: AdaptiveProfile,
  family: readonly AdaptiveProfile[],
  nowMs: number,
  options: MonitorOptions = defaultMonitorOptions,
): { state: MonitorState; decision: SwitchDecision | undefined } {
  const next: MonitorState = { ...state, lastRebufferCount: metrics.rebuffer_count };
  const rebuffered = metrics.rebuffer_count > state.lastRebufferCount;
  const speed = metrics.download_speed_kbps;
  const index = family.findIndex((profile) => profile.quality_id === current.quality_id);
  const lower = index === -1 ? family.filter((profile) => profile.bitrate_kbps < current.bitrate_kbps) : family.slice(index + 1);
  const higher = index === -1 ? family.filter((profile) => profile.bitrate_kbps > current.bitrate_kbps) : family.slice(0, index);

  const downReason = rebuffered
    ? 'rebuffer'
    : metrics.buffer_health_percentage < options.downBufferHealthPct
      ? 'buffer_low'
      : metrics.packet_loss_percentage > options.downPacketLossPct
        ? 'packet_loss'
        : metrics.latency_ms > options.downLatencyMs
          ? 'latency'
          : speed > 0 && current.bandwidth_estimate_kbps > speed * options.bandwidthSafetyFactor
            ? 'bandwidth'
            : undefined;
  if (downReason) {
    next.upStreak = 0;
    next.downStreak = state.downStreak + 1;
    const due = downReason === 'rebuffer' || next.downStreak >= options.downConsecutiveReports;
    if (!due || lower.length === 0) return { state: next, decision: undefined };
    const fitting = speed > 0 ? lower.find((profile) => profile.bandwidth_estimate_kbps <= speed * options.bandwidthSafetyFactor) : undefined;
    const to = fitting ?? (speed > 0 ? lower[lower.length - 1]! : lower[0]!);
    return { state: { ...next, downStreak: 0, lastSwitchAtMs: nowMs }, decision: { to, direction: 'down', reason: downReason } };
  }

  next.downStreak = 0;
  const step = higher[higher.length - 1];
  const roomToGrow =
    step !== undefined &&
    speed > 0 &&
    metrics.buffer_health_percentage >= options.upBufferHealthPct &&
    metrics.packet_loss_percentage <= options.upPacketLossPct &&
    metrics.latency_ms <= options.upLatencyMs &&
    step.bandwidth_estimate_kbps <= speed * options.upBandwidthFactor;
  next.upStreak = roomToGrow ? state.upStreak + 1 : 0;
  if (!roomToGrow || next.upStreak < options.upConsecutiveReports || nowMs - state.lastSwitchAtMs < options.upHoldAfterSwitchMs) {
    return { state: next, decision: undefined };
  }
  return { state: { ...next, upStreak: 0, lastSwitchAtMs: nowMs }, decision: { to: step, direction: 'up', reason: 'bandwidth_headroom' } };
}
