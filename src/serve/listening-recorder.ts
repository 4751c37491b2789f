import type { AnalyticsEngine } from '../analytics/engine.js';
import type { Platform } from '../analytics/types.js';
import { analyticsDefaults } from '../defaults.js';
import type { Logger } from '../log.js';
import type { PlaybackChange, PlaybackListener } from '../realtime/deps.js';
import type { AdaptiveStreamingManager } from '../streaming/manager.js';
import type { PerformanceMetrics, QualityChange, StreamingSession } from '../streaming/types.js';

/** Calls the listener with every change of a session's quality; the manager's `quality-changed` by default. */
export type QualityChanges = (listener: (change: QualityChange) => void) => void;

/** New stalls of a session, from one report: the rise of its running `rebuffer_count`, and of its time. */
export interface Rebuffers {
  session_id: string;
  count: number;
  added_ms: number;
}

/** Calls the listener with the new stalls of every report; from the manager's `metrics-reported` by default. */
export type RebufferReports = (listener: (rebuffers: Rebuffers) => void) => void;

/** What a report adds to the session's stalls, or undefined when it adds none. */
function rebuffersOf(session: StreamingSession, previous: PerformanceMetrics): Rebuffers | undefined {
  const count = session.performance_metrics.rebuffer_count - previous.rebuffer_count;
  if (count <= 0) return undefined;
  return { session_id: session.session_id, count, added_ms: Math.max(0, session.performance_metrics.rebuffer_duration_ms - previous.rebuffer_duration_ms) };
}

interface Play {
  playId: string;
  sessionId: string | null;
}

/**
 * Records listening analytics from what the player tells the server: the WebSocket commands (Play,
 * Pause, Seek, Stop, or the connection closing) open, advance and end a play; the streaming session
 * the connection named (`?session_id=`) adds its quality switches and rebuffers. A failure to record
 * is logged and never reaches the listener. With several nodes, a session's changes and reports may
 * be taken by another node than the one holding the listener's connection: serve then passes the
 * quality changes and rebuffers the event bus carries from every node (`sources`).
 */
export class ListeningRecorder {
  private readonly plays = new Map<string, Play>();

  constructor(
    private readonly analytics: AnalyticsEngine,
    private readonly streaming: AdaptiveStreamingManager,
    private readonly logger: Logger,
    sources: { qualityChanges: QualityChanges; rebuffers: RebufferReports } = localSources(streaming),
  ) {
    sources.qualityChanges((change) => this.qualityChanged(change));
    sources.rebuffers((rebuffers) => this.rebuffered(rebuffers));
  }

  /** The event server's `onPlayback`. */
  readonly onPlayback = (change: PlaybackChange): void => {
    const { connection } = change;
    const play = this.plays.get(connection.id);
    this.safely(() => {
      if (change.kind === 'started') {
        if (play) this.end(connection.id, play, change.positionMs);
        const playId = this.analytics.startPlaySession({
          userId: connection.userId ?? undefined,
          trackId: change.trackId,
          ip: connection.ipAddress,
          userAgent: connection.userAgent ?? undefined,
          durationMs: change.durationMs ?? 0,
          quality: change.quality ?? this.sessionQuality(connection.sessionId) ?? 'unknown',
          platform: platformOf(connection.userAgent),
          referrer: connection.referrer ?? undefined,
          startPositionMs: change.positionMs,
        });
        this.plays.set(connection.id, { playId, sessionId: connection.sessionId });
      } else if (play && change.kind === 'stopped') {
        this.end(connection.id, play, change.positionMs);
      } else if (play) {
        this.analytics.updatePlayProgress(play.playId, change.positionMs, this.bufferHealth(connection));
      }
    });
  };

  private end(connectionId: string, play: Play, positionMs: number): void {
    this.plays.delete(connectionId);
    this.analytics.endPlaySession(play.playId, positionMs);
  }

  private qualityChanged(change: QualityChange): void {
    for (const play of this.playsOf(change.session_id)) {
      this.safely(() => this.analytics.recordQualitySwitch(play.playId, change.from_quality, change.to_quality, change.reason));
    }
  }

  /**
   * Players report running totals: a rise of rebuffer_count is that many new stalls, sharing the
   * added time. Anyone may report metrics, so one report records at most maxRebuffersPerReport of them
   * (the time is still shared in full): a claim of millions would otherwise write millions of rows.
   */
  private rebuffered({ session_id, count, added_ms }: Rebuffers): void {
    const plays = this.playsOf(session_id);
    if (plays.length === 0) return;
    const recorded = Math.min(count, analyticsDefaults.maxRebuffersPerReport);
    if (recorded < count) {
      this.logger.warn(`analytics: session ${session_id} reported ${count} new rebuffers at once; recorded ${recorded} (maxRebuffersPerReport)`);
    }
    for (const play of plays) {
      for (let i = 0; i < recorded; i++) this.safely(() => this.analytics.recordRebuffer(play.playId, added_ms / recorded));
    }
  }

  private playsOf(sessionId: string): Play[] {
    return [...this.plays.values()].filter((play) => play.sessionId === sessionId);
  }

  private sessionQuality(sessionId: string | null): string | undefined {
    return this.session(sessionId)?.current_quality;
  }

  private bufferHealth(connection: PlaybackListener): number | null {
    return this.session(connection.sessionId)?.performance_metrics.buffer_health_percentage ?? null;
  }

  private session(sessionId: string | null): StreamingSession | undefined {
    return sessionId === null ? undefined : this.streaming.cachedSession(sessionId);
  }

  private safely(record: () => void): void {
    try {
      record();
    } catch (error) {
      this.logger.error(`analytics: ${(error as Error)?.message ?? String(error)}`);
    }
  }
}

/** The new stalls of the metrics reports this node's manager takes. */
export function reportedRebuffers(streaming: AdaptiveStreamingManager): RebufferReports {
  return (listener) =>
    streaming.on('metrics-reported', (session, previous) => {
      const rebuffers = rebuffersOf(session, previous);
      if (rebuffers) listener(rebuffers);
    });
}

/** One node's sources: its own manager's quality changes and reports. */
function localSources(streaming: AdaptiveStreamingManager): { qualityChanges: QualityChanges; rebuffers: RebufferReports } {
  return { qualityChanges: (listener) => streaming.on('quality-changed', listener), rebuffers: reportedRebuffers(streaming) };
}

/** The platform a User-Agent names, as the analytics count them. */
export function platformOf(userAgent: string | null): Platform {
  if (!userAgent) return 'Unknown';
  if (/Android/i.test(userAgent)) return 'Android';
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'Ios';
  if (/Mozilla\//.test(userAgent)) return 'Web';
  return 'Unknown';
}
