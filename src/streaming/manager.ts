import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { streamingOptions } from '../defaults.js';
import { HlsaudioError, optionError, quote } from '../errors.js';
import { isId } from '../ids.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { CatalogSnapshot } from '../catalog/snapshot.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import { bitrateCapKbps, chooseInitialProfile, familyOf, type Ladder, profileById } from './choose-profile.js';
import { assessReport, initialMonitorState } from './quality-monitor.js';
import type { SessionRecord } from './session-record.js';
import { MemorySessionStore, type SessionStore, type VersionedRecord } from './session-store.js';
import { streamingStats } from './stats.js';
import type { ClientCapabilities, PerformanceMetrics, QualityChange, QualityChangeReason, QualityReportReason, StreamingEvents, StreamingSession, StreamingStats, SwitchDirection } from './types.js';

/** Where the manager finds a track's profiles and masters (the server's catalog snapshot). */
export type TrackSource = Pick<CatalogSnapshot, 'getTrack'>;

/** `streamingOptions` of defaults.ts (which holds the choice and the monitor's thresholds), and the clock. */
export type StreamingOptions = OptionValues<typeof streamingOptions> & {
  /** The clock, in ms since the epoch; tests pass their own. */
  now: () => number;
};

export type { SessionRecord };

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

/** What a change of a session emits once it is stored, in order. */
type Emission = () => void;

/**
 * The spec's AdaptiveStreamingManager: sessions in a SessionStore (this process's memory by default,
 * Redis shared by every node with `serve --redis`), the initial profile choice, the quality monitor
 * and the stats. Its calls are asynchronous because a shared store is: each change of a session is
 * read, applied and written with the version it read, again on a conflict, and its events are
 * emitted once it is stored. It knows nothing of HTTP; the serve layer maps its errors to statuses
 * and the WebSocket server and the analytics listen to its events (`manager.on('quality-changed', …)`).
 */
export class AdaptiveStreamingManager extends EventEmitter<StreamingEvents> {
  readonly options: StreamingOptions;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    private readonly tracks: TrackSource,
    options: Partial<StreamingOptions> = {},
    private readonly sessions: SessionStore = new MemorySessionStore(),
  ) {
    super();
    this.options = { ...resolveOptions(streamingOptions, options, optionError), now: options.now ?? Date.now };
  }

  /** `start_quality_monitor`: metrics reports are judged from now on, and idle sessions expire. */
  startQualityMonitor(): void {
    if (this.sweepTimer) return;
    // A failed sweep (the store unreachable) is tried again on the next tick; the sessions wait.
    this.sweepTimer = setInterval(() => void this.expireIdleSessions().catch(() => {}), this.options.sweepIntervalMs);
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
   * user, else `maxSessionsPerAddress`) and E_TOO_MANY_SESSIONS (the store holds `maxSessions`), both
   * with the seconds until a session of theirs (or any) expires as `retryAfterSec`. The quotas are
   * the store's: with Redis they count every node's sessions.
   */
  async createSession(request: { trackId: string; capabilities: ClientCapabilities; clientId: string; requester?: SessionRequester }): Promise<{ session: StreamingSession; profile: AdaptiveProfile }> {
    const track = await this.tracks.getTrack(request.trackId);
    if (!track) throw new HlsaudioError('E_UNKNOWN_TRACK', `No track ${quote(request.trackId)} in the catalog`, { field: 'track_id' });
    const requester = request.requester ?? { address: request.clientId, userId: null, verified: false };
    const perUser = requester.verified && requester.userId !== null;
    const holder = perUser ? `user:${requester.userId}` : `address:${requester.address}`;
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
    const quota = perUser ? this.options.maxSessionsPerUser : this.options.maxSessionsPerAddress;
    const outcome = await this.sessions.create(
      { session, ladder, monitor: initialMonitorState(now), lastSeenMs: now, reported: false, holder },
      { holderQuota: quota, maxSessions: this.options.maxSessions, idleDeadlineMs: now - this.options.sessionIdleMs, idleMs: this.options.sessionIdleMs },
    );
    for (const record of outcome.expired) this.emit('session-ended', record.session, 'expired');
    if (!outcome.created && outcome.full === 'holder') {
      const who = perUser ? `user ${requester.userId}` : 'this address';
      throw new HlsaudioError('E_QUOTA', `${who} holds its maximum of ${quota} streaming sessions; end one (DELETE /api/streaming/session/:id) or wait for an idle one to expire`, {
        retryAfterSec: this.secondsUntilExpiry(outcome.oldestSeenMs),
      });
    }
    if (!outcome.created) {
      throw new HlsaudioError('E_TOO_MANY_SESSIONS', `${this.options.maxSessions} streaming sessions are open; end one or wait for idle ones to expire`, {
        retryAfterSec: this.secondsUntilExpiry(outcome.oldestSeenMs),
      });
    }
    this.emit('session-created', session);
    return { session, profile };
  }

  /** The session (a request about it keeps it alive). Throws E_UNKNOWN_SESSION. */
  async getSession(sessionId: string): Promise<StreamingSession> {
    return (await this.change(sessionId, () => [])).session;
  }

  /** The session if it is open, without counting the look as activity (observers use this). */
  async peekSession(sessionId: string): Promise<StreamingSession | undefined> {
    return isId(sessionId) ? (await this.sessions.load(sessionId))?.record.session : undefined;
  }

  /**
   * The session as this process last saw it, at once (the event server's Play and Seek, which answer
   * synchronously). With a shared store, a session of another node is seen here once this node read
   * it (`peekSession`): serve reads it when a WebSocket connection names it.
   */
  cachedSession(sessionId: string): StreamingSession | undefined {
    return this.sessions.cached(sessionId)?.session;
  }

  /** The session's playing profile and the master that holds it (a use of the session). */
  async sessionProfile(sessionId: string): Promise<{ session: StreamingSession; profile: AdaptiveProfile; masterFile: string }> {
    const record = await this.change(sessionId, () => []);
    const profile = profileById(record.ladder, record.session.current_quality, 'current_quality');
    return { session: record.session, profile, masterFile: masterFileOf(record.ladder, profile.quality_id) };
  }

  /**
   * `update_session_quality`: the client plays another profile now, because the listener chose it
   * (`user`, the default) or because the player's own ABR switched (`player`). `adaptiveEnabled`, when
   * given, turns the monitor's judgement of this session's reports on or off (off: a forced choice
   * stays). Throws E_UNKNOWN_SESSION, E_UNKNOWN_QUALITY.
   */
  async updateSessionQuality(sessionId: string, quality: string, change: { reason?: QualityReportReason; adaptiveEnabled?: boolean } = {}): Promise<StreamingSession> {
    const record = await this.change(sessionId, (record, now) => {
      const profile = profileById(record.ladder, quality, 'quality');
      if (change.adaptiveEnabled !== undefined) record.session.client_capabilities.adaptive_enabled = change.adaptiveEnabled;
      if (profile.quality_id === record.session.current_quality) return [];
      record.monitor = { ...record.monitor, downStreak: 0, upStreak: 0, lastSwitchAtMs: now };
      const switched = this.switchTo(record, profile, now, change.reason ?? 'user');
      return [() => this.emit('quality-changed', switched, record.session)];
    });
    return record.session;
  }

  /**
   * A PerformanceMetrics report: stored on the session (fields left out keep their last value) and,
   * with the monitor started and adaptation on, judged; a decision switches the session's profile,
   * is stored as its `recommendation` and emitted.
   */
  async reportMetrics(sessionId: string, report: Partial<PerformanceMetrics>): Promise<StreamingSession> {
    const record = await this.change(sessionId, (record, now) => {
      record.reported = true;
      const session = record.session;
      const previous = session.performance_metrics;
      session.performance_metrics = { ...session.performance_metrics, ...report, quality_switches: session.performance_metrics.quality_switches };
      session.last_updated = new Date(now).toISOString();
      const emissions: Emission[] = [() => this.emit('metrics-reported', session, previous)];
      if (record.monitor.lastRebufferCount > session.performance_metrics.rebuffer_count) {
        record.monitor.lastRebufferCount = session.performance_metrics.rebuffer_count; // the player restarted its counters
      }
      if (!this.qualityMonitorRunning || !session.client_capabilities.adaptive_enabled) {
        record.monitor.lastRebufferCount = session.performance_metrics.rebuffer_count; // a later judgement starts from here
        return emissions;
      }
      const current = profileById(record.ladder, session.current_quality, 'current_quality');
      const cap = bitrateCapKbps(session.client_capabilities, this.options);
      const family = familyOf(record.ladder, current.quality_id).filter((profile) => profile.bitrate_kbps <= Math.max(cap, current.bitrate_kbps));
      const { state, decision } = assessReport(record.monitor, session.performance_metrics, current, family, now, this.options);
      record.monitor = state;
      if (decision) {
        const switched = this.switchTo(record, decision.to, now, decision.reason, decision.direction);
        session.recommendation = { ...switched, reason: decision.reason, profile: decision.to, created_at: new Date(now).toISOString() };
        emissions.push(() => this.emit('quality-changed', switched, session));
      }
      return emissions;
    });
    return record.session;
  }

  /** Ends a session (DELETE). Throws E_UNKNOWN_SESSION. */
  async endSession(sessionId: string): Promise<StreamingSession> {
    const record = isId(sessionId) ? await this.sessions.remove(sessionId) : undefined;
    if (!record) throw this.unknownSession(sessionId);
    this.emit('session-ended', record.session, 'ended');
    return record.session;
  }

  /**
   * Sessions with no request and no report for `sessionIdleMs` end; returns how many. Each ends on
   * one node only (the store hands each expired session to one caller), which emits `session-ended`.
   */
  expireIdleSessions(): Promise<number> {
    // One sweep at a time in this process: a slow store must not stack them up.
    return (this.sweeping ??= (async () => {
      try {
        const expired = await this.sessions.claimExpired(this.options.now() - this.options.sessionIdleMs);
        for (const record of expired) this.emit('session-ended', record.session, 'expired');
        return expired.length;
      } finally {
        this.sweeping = undefined;
      }
    })());
  }

  /** `get_streaming_stats`: over the store's sessions (with Redis, every node's). */
  async getStreamingStats(): Promise<StreamingStats> {
    const [records, counters] = await Promise.all([this.sessions.list(), this.sessions.counters()]);
    return streamingStats(
      records.map(({ session, reported }) => ({ session, reported })),
      counters,
      this.options.now(),
      this.qualityMonitorRunning,
    );
  }

  /** Open sessions as last counted (SessionStore.size): exact in memory, as of the last creation or sweep with Redis. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops the monitor. The store stays as it is: a shared one holds other nodes' sessions too. */
  close(): void {
    this.stopQualityMonitor();
  }

  /**
   * Reads the session, applies `apply` (which changes the record and returns what to emit), and
   * writes it with the version it read; another write in between (this node or another) makes it
   * read and apply again, so that neither change is lost. A use of the session: it stays alive.
   */
  private async change(sessionId: string, apply: (record: SessionRecord, now: number) => Emission[]): Promise<SessionRecord> {
    if (!isId(sessionId)) throw this.unknownSession(sessionId);
    for (let attempt = 1; ; attempt++) {
      const loaded: VersionedRecord | undefined = await this.sessions.load(sessionId);
      if (!loaded) throw this.unknownSession(sessionId);
      const now = this.options.now();
      const { record } = loaded;
      const emissions = apply(record, now);
      record.lastSeenMs = Math.max(record.lastSeenMs, now);
      const written = await this.sessions.replace(record, loaded.version, this.options.sessionIdleMs);
      if (written.outcome === 'replaced') {
        for (const emit of emissions) emit();
        return record;
      }
      if (written.outcome === 'gone') throw this.unknownSession(sessionId);
      if (attempt >= this.options.sessionWriteAttempts) {
        throw new HlsaudioError('E_UNAVAILABLE', `Streaming session ${quote(sessionId)} changed under ${attempt} tries in a row (requests racing on it); try again`, { retryAfterSec: 1 });
      }
    }
  }

  private unknownSession(sessionId: string): HlsaudioError {
    return new HlsaudioError('E_UNKNOWN_SESSION', `No streaming session ${quote(sessionId)} (never created, ended, or expired after ${this.options.sessionIdleMs / 1000} s idle)`, { field: 'session_id' });
  }

  /** Seconds until a session last used at `lastSeenMs` expires if nobody uses it (at least 1): a refusal's Retry-After. */
  private secondsUntilExpiry(lastSeenMs: number): number {
    const waitMs = Number.isFinite(lastSeenMs) ? lastSeenMs + this.options.sessionIdleMs - this.options.now() : this.options.sessionIdleMs;
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
