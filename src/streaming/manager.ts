import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { streamingOptions } from '../defaults.js';
import { HlsaudioError, optionError, quote } from '../errors.js';
import { isId } from '../ids.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { CatalogSnapshot } from '../catalog/snapshot.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import { bitrateCapKbps, chooseInitialProfile, familyOf, type Ladder, profileById } from './choose-profile.js';
import { assessReport, initialMonitorState, type MonitorState } from './quality-monitor.js';
import { MemorySessionStore, type SessionStore } from './session-store.js';
import { streamingStats, type StatsCounters } from './stats.js';
import type { ClientCapabilities, PerformanceMetrics, QualityChange, QualityChangeReason, QualityReportReason, StreamingEvents, StreamingSession, StreamingStats, SwitchDirection } from './types.js';

/** Where the manager finds a track's profiles and masters (the server's catalog snapshot). */
export type TrackSource = Pick<CatalogSnapshot, 'getTrack'>;

/** `streamingOptions` of defaults.ts (which holds the choice and the monitor's thresholds), and the clock. */
export type StreamingOptions = OptionValues<typeof streamingOptions> & {
  /** The clock, in ms since the epoch; tests pass their own. */
  now: () => number;
};

/** What the manager keeps of a session (in its SessionStore). */
export interface SessionRecord {
  session: StreamingSession;
  ladder: Ladder;
  monitor: MonitorState;
  lastSeenMs: number;
  /** Whether a metrics report arrived yet (the stats average only real reports). */
  reported: boolean;
  /** Whose quota the session counts in: `user:<sub>` for a verified user, else `address:<key>`. */
  holder: string;
}

/**
 * Who asks for a session: its user (`userId`: a verified token's `sub`, or in anonymous mode the
 * `user_id` the client gives) and its remote address (client-address.ts key). Quotas count a
 * verified user's sessions per user, anyone else's per address: an unverified name is the client's say.
 */
export interface SessionRequester {
  address: string;
  userId: string | null;
  /** A token proved `userId`. */
  verified: boolean;
}

const NO_METRICS: PerformanceMetrics = {
  buffer_health_percentage: 0,
  download_speed_kbps: 0,
  packet_loss_percentage: 0,
  latency_ms: 0,
  rebuffer_count: 0,
  rebuffer_duration_ms: 0,
  quality_switches: 0,
};

/**
 * The spec's AdaptiveStreamingManager: sessions in memory, the initial profile choice, the quality
 * monitor and the stats. It knows nothing of HTTP; the serve layer maps its errors to statuses and
 * the WebSocket server and the analytics listen to its events (`manager.on('quality-changed', …)`).
 */
export class AdaptiveStreamingManager extends EventEmitter<StreamingEvents> {
  readonly options: StreamingOptions;
  /** Session ids by holder (SessionRecord.holder), for the per-user and per-address quotas and their Retry-After. */
  private readonly byHolder = new Map<string, Set<string>>();
  private readonly counters: StatsCounters = { created: 0, ended: 0, expired: 0 };
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tracks: TrackSource,
    options: Partial<StreamingOptions> = {},
    private readonly sessions: SessionStore<SessionRecord> = new MemorySessionStore(),
  ) {
    super();
    this.options = { ...resolveOptions(streamingOptions, options, optionError), now: options.now ?? Date.now };
  }

  /** `start_quality_monitor`: metrics reports are judged from now on, and idle sessions expire. */
  startQualityMonitor(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.expireIdleSessions(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  stopQualityMonitor(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  get qualityMonitorRunning(): boolean {
    return this.sweepTimer !== undefined;
  }

  /**
   * `create_session`: the session and its initial profile. The requester's `userId` is the session's
   * user (its quality changes then also reach that user's connections). Throws E_UNKNOWN_TRACK,
   * E_UNKNOWN_QUALITY, E_QUOTA (the requester holds its share: `maxSessionsPerUser` for a verified
   * user, else `maxSessionsPerAddress`) and E_TOO_MANY_SESSIONS (the server holds `maxSessions`), both
   * with the seconds until a session of theirs (or any) expires as `retryAfterSec`.
   */
  async createSession(request: { trackId: string; capabilities: ClientCapabilities; clientId: string; requester?: SessionRequester }): Promise<{ session: StreamingSession; profile: AdaptiveProfile }> {
    const track = await this.tracks.getTrack(request.trackId);
    if (!track) throw new HlsaudioError('E_UNKNOWN_TRACK', `No track ${quote(request.trackId)} in the catalog`, { field: 'track_id' });
    const requester = request.requester ?? { address: request.clientId, userId: null, verified: false };
    const perUser = requester.verified && requester.userId !== null;
    const holder = perUser ? `user:${requester.userId}` : `address:${requester.address}`;
    const quota = perUser ? this.options.maxSessionsPerUser : this.options.maxSessionsPerAddress;
    if (quota > 0 && (this.byHolder.get(holder)?.size ?? 0) >= quota) {
      // Only the holder's own sessions are looked at: a client at its quota costs O(quota) per try.
      this.expireIdleSessions([...this.byHolder.get(holder)!]);
      const held = this.byHolder.get(holder);
      if (held && held.size >= quota) {
        const who = perUser ? `user ${requester.userId}` : 'this address';
        throw new HlsaudioError('E_QUOTA', `${who} holds its maximum of ${quota} streaming sessions; end one (DELETE /api/streaming/session/:id) or wait for an idle one to expire`, {
          retryAfterSec: this.secondsUntilExpiry(held),
        });
      }
    }
    if (this.sessions.size >= this.options.maxSessions) {
      this.expireIdleSessions();
      if (this.sessions.size >= this.options.maxSessions) {
        throw new HlsaudioError('E_TOO_MANY_SESSIONS', `${this.options.maxSessions} streaming sessions are open; end one or wait for idle ones to expire`, {
          retryAfterSec: this.secondsUntilExpiry(this.sessions.keys()),
        });
      }
    }
    const ladder: Ladder = { profiles: track.profiles, masters: track.masters };
    const profile = chooseInitialProfile(ladder, request.capabilities, this.options);
    const now = this.options.now();
    const sessionId = randomUUID();
    const session: StreamingSession = {
      session_id: sessionId,
      track_id: track.id,
      client_id: request.clientId,
      user_id: requester.userId,
      current_quality: profile.quality_id,
      client_capabilities: request.capabilities,
      performance_metrics: { ...NO_METRICS },
      created_at: new Date(now).toISOString(),
      last_updated: new Date(now).toISOString(),
      master_url: masterUrl(track.id, sessionId),
      recommendation: null,
    };
    this.sessions.set(sessionId, { session, ladder, monitor: initialMonitorState(now), lastSeenMs: now, reported: false, holder });
    let held = this.byHolder.get(holder);
    if (!held) this.byHolder.set(holder, (held = new Set()));
    held.add(sessionId);
    this.counters.created++;
    this.emit('session-created', session);
    return { session, profile };
  }

  /** The session (a request about it keeps it alive). Throws E_UNKNOWN_SESSION. */
  getSession(sessionId: string): StreamingSession {
    const record = this.record(sessionId);
    record.lastSeenMs = this.options.now();
    return record.session;
  }

  /** The session if it is open, without counting the look as activity (observers use this). */
  peekSession(sessionId: string): StreamingSession | undefined {
    return this.sessions.get(sessionId)?.session;
  }

  /** The session's playing profile and the master that holds it. */
  sessionProfile(sessionId: string): { session: StreamingSession; profile: AdaptiveProfile; masterFile: string } {
    const record = this.record(sessionId);
    record.lastSeenMs = this.options.now();
    const profile = profileById(record.ladder, record.session.current_quality, 'current_quality');
    return { session: record.session, profile, masterFile: masterFileOf(record.ladder, profile.quality_id) };
  }

  /**
   * `update_session_quality`: the client plays another profile now, because the listener chose it
   * (`user`, the default) or because the player's own ABR switched (`player`). `adaptiveEnabled`, when
   * given, turns the monitor's judgement of this session's reports on or off (off: a forced choice
   * stays). Throws E_UNKNOWN_SESSION, E_UNKNOWN_QUALITY.
   */
  updateSessionQuality(sessionId: string, quality: string, change: { reason?: QualityReportReason; adaptiveEnabled?: boolean } = {}): StreamingSession {
    const record = this.record(sessionId);
    const profile = profileById(record.ladder, quality, 'quality');
    const now = this.options.now();
    record.lastSeenMs = now;
    if (change.adaptiveEnabled !== undefined) record.session.client_capabilities.adaptive_enabled = change.adaptiveEnabled;
    if (profile.quality_id !== record.session.current_quality) {
      record.monitor = { ...record.monitor, downStreak: 0, upStreak: 0, lastSwitchAtMs: now };
      this.emit('quality-changed', this.switchTo(record, profile, now, change.reason ?? 'user'), record.session);
    }
    return record.session;
  }

  /**
   * A PerformanceMetrics report: stored on the session (fields left out keep their last value) and,
   * with the monitor started and adaptation on, judged; a decision switches the session's profile,
   * is stored as its `recommendation` and emitted.
   */
  reportMetrics(sessionId: string, report: Partial<PerformanceMetrics>): StreamingSession {
    const record = this.record(sessionId);
    const now = this.options.now();
    record.lastSeenMs = now;
    record.reported = true;
    const session = record.session;
    const previous = session.performance_metrics;
    session.performance_metrics = { ...session.performance_metrics, ...report, quality_switches: session.performance_metrics.quality_switches };
    session.last_updated = new Date(now).toISOString();
    this.emit('metrics-reported', session, previous);
    if (record.monitor.lastRebufferCount > session.performance_metrics.rebuffer_count) {
      record.monitor.lastRebufferCount = session.performance_metrics.rebuffer_count; // the player restarted its counters
    }
    if (!this.qualityMonitorRunning || !session.client_capabilities.adaptive_enabled) {
      record.monitor.lastRebufferCount = session.performance_metrics.rebuffer_count; // a later judgement starts from here
      return session;
    }
    const current = profileById(record.ladder, session.current_quality, 'current_quality');
    const cap = bitrateCapKbps(session.client_capabilities, this.options);
    const family = familyOf(record.ladder, current.quality_id).filter((profile) => profile.bitrate_kbps <= Math.max(cap, current.bitrate_kbps));
    const { state, decision } = assessReport(record.monitor, session.performance_metrics, current, family, now, this.options);
    record.monitor = state;
    if (decision) {
      const change = this.switchTo(record, decision.to, now, decision.reason, decision.direction);
      session.recommendation = { ...change, reason: decision.reason, profile: decision.to, created_at: new Date(now).toISOString() };
      this.emit('quality-changed', change, session);
    }
    return session;
  }

  /** Ends a session (DELETE). Throws E_UNKNOWN_SESSION. */
  endSession(sessionId: string): StreamingSession {
    const record = this.record(sessionId);
    this.forget(sessionId, record);
    this.counters.ended++;
    this.emit('session-ended', record.session, 'ended');
    return record.session;
  }

  /** Sessions (all, or those of `sessionIds`) with no request and no report for `sessionIdleMs` end; returns how many. */
  expireIdleSessions(sessionIds: Iterable<string> = this.sessions.keys()): number {
    const deadline = this.options.now() - this.options.sessionIdleMs;
    let expired = 0;
    for (const id of [...sessionIds]) {
      const record = this.sessions.get(id);
      if (!record || record.lastSeenMs > deadline) continue;
      this.forget(id, record);
      this.counters.expired++;
      expired++;
      this.emit('session-ended', record.session, 'expired');
    }
    return expired;
  }

  /** `get_streaming_stats`. */
  getStreamingStats(): StreamingStats {
    return streamingStats(
      [...this.sessions.values()].map(({ session, reported }) => ({ session, reported })),
      this.counters,
      this.options.now(),
      this.qualityMonitorRunning,
    );
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  close(): void {
    this.stopQualityMonitor();
    for (const record of [...this.sessions.values()]) this.sessions.delete(record.session.session_id);
    this.byHolder.clear();
  }

  private record(sessionId: string): SessionRecord {
    const record = isId(sessionId) ? this.sessions.get(sessionId) : undefined;
    if (!record) throw new HlsaudioError('E_UNKNOWN_SESSION', `No streaming session ${quote(sessionId)} (never created, ended, or expired after ${this.options.sessionIdleMs / 1000} s idle)`, { field: 'session_id' });
    return record;
  }

  private forget(sessionId: string, record: SessionRecord): void {
    this.sessions.delete(sessionId);
    const held = this.byHolder.get(record.holder);
    if (held?.delete(sessionId) && held.size === 0) this.byHolder.delete(record.holder);
  }

  /** Seconds until the first of these sessions expires if nobody uses it (at least 1): a refusal's Retry-After. */
  private secondsUntilExpiry(sessionIds: Iterable<string>): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const id of sessionIds) oldest = Math.min(oldest, this.sessions.get(id)?.lastSeenMs ?? oldest);
    const waitMs = Number.isFinite(oldest) ? oldest + this.options.sessionIdleMs - this.options.now() : this.options.sessionIdleMs;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Switches the session's profile; the caller emits the change once the session holds all of it. */
  private switchTo(record: SessionRecord, profile: AdaptiveProfile, now: number, reason: QualityChangeReason, direction?: SwitchDirection): QualityChange {
    const session = record.session;
    const previous = profileById(record.ladder, session.current_quality, 'current_quality');
    session.current_quality = profile.quality_id;
    session.performance_metrics.quality_switches++;
    session.last_updated = new Date(now).toISOString();
    return {
      session_id: session.session_id,
      track_id: session.track_id,
      user_id: session.user_id,
      from_quality: previous.quality_id,
      to_quality: profile.quality_id,
      // A client's report goes up or down by bit rate; the monitor says which way it moved.
      direction: direction ?? (profile.bitrate_kbps > previous.bitrate_kbps ? 'up' : 'down'),
      reason,
      master_url: session.master_url,
      timestamp: now,
    };
  }
}

/** The URL a session's player loads: the master of the session's codec family, its profile first. */
export function masterUrl(trackId: string, sessionId: string): string {
  return `/hls/${trackId}/master.m3u8?session=${sessionId}`;
}

function masterFileOf(ladder: Ladder, qualityId: string): string {
  return ladder.masters.find((master) => master.profiles.includes(qualityId))?.file ?? ladder.masters[0]!.file;
}
