import type { SessionRecord } from './session-record.js';
import type { StatsCounters } from './stats.js';

/** A record as read, with the version a write must name (optimistic concurrency). */
export interface VersionedRecord {
  record: SessionRecord;
  version: number;
}

/** The quotas a new session must fit, and the instant before which an untouched session is idle. */
export interface SessionLimits {
  /** Sessions the record's holder may hold; 0: no quota. */
  holderQuota: number;
  maxSessions: number;
  /** Sessions last seen at or before this (epoch ms) have expired; a full quota ends them first. */
  idleDeadlineMs: number;
  /** streamingOptions.sessionIdleMs: how long an untouched record must stay (a shared store adds its grace). */
  idleMs: number;
}

export type CreateOutcome =
  /** `expired`: sessions the creation ended because they were idle and in the way (the caller tells their end). */
  | { created: true; expired: SessionRecord[] }
  /** `full`: which quota; `oldestSeenMs`: the last use of the session of that quota that expires first. */
  | { created: false; full: 'holder' | 'all'; oldestSeenMs: number; expired: SessionRecord[] };

/**
 * Where AdaptiveStreamingManager keeps its sessions: this process's memory (MemorySessionStore), or
 * Redis shared by every `serve` node (RedisSessionStore). Every call is asynchronous and atomic in
 * the store: a quota is checked and taken in one step, a session ends (removed, expired) exactly
 * once, and a write names the version it read, so that two nodes changing one session never lose a
 * change (the loser reads again and re-applies its change). Records handed out are copies: changing
 * one changes nothing until `replace` succeeds. The contract test runs against both stores.
 */
export interface SessionStore {
  /** Adds a new session (version 1) if its holder and the store have room, ending idle sessions in the way. */
  create(record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome>;
  /** The session and its version, or undefined (never created, ended, expired). */
  load(sessionId: string): Promise<VersionedRecord | undefined>;
  /**
   * Writes `record` (its lastSeenMs is the session's last use) if the session is still at `version`:
   * `replaced` with the new version, `conflict` when another write came first, `gone` when it ended.
   */
  replace(record: SessionRecord, version: number, idleMs: number): Promise<{ outcome: 'replaced'; version: number } | { outcome: 'conflict' | 'gone' }>;
  /** Ends a session; the record, or undefined when it had ended already (one caller gets it). */
  remove(sessionId: string): Promise<SessionRecord | undefined>;
  /** Ends the sessions last seen at or before `deadlineMs` and returns them; each is returned to one caller only. */
  claimExpired(deadlineMs: number): Promise<SessionRecord[]>;
  /** Every open session. */
  list(): Promise<SessionRecord[]>;
  /** Sessions created, ended and expired since the store began (a shared store: by every node). */
  counters(): Promise<StatsCounters>;
  /** Open sessions as last counted: exact in memory; a shared store's count at its last creation or sweep. */
  readonly size: number;
  /**
   * The session as this process last read or wrote it, without waiting: for synchronous readers (the
   * event server's Play and Seek). A shared store's copy may be a moment old.
   */
  cached(sessionId: string): SessionRecord | undefined;
}

interface Entry {
  record: SessionRecord;
  version: number;
}

/** The sessions of one process. */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, Entry>();
  /** Session ids by holder, for the per-user and per-address quotas. */
  private readonly byHolder = new Map<string, Set<string>>();
  private readonly tally: StatsCounters = { created: 0, ended: 0, expired: 0 };

  async create(record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome> {
    const expired: SessionRecord[] = [];
    const held = () => this.byHolder.get(record.holder)?.size ?? 0;
    if (limits.holderQuota > 0 && held() >= limits.holderQuota) {
      // Only the holder's own sessions are looked at: a client at its quota costs O(quota) per try.
      expired.push(...this.expire([...this.byHolder.get(record.holder)!], limits.idleDeadlineMs));
      if (held() >= limits.holderQuota) return { created: false, full: 'holder', oldestSeenMs: this.oldestSeen(this.byHolder.get(record.holder)!), expired };
    }
    if (this.records.size >= limits.maxSessions) {
      expired.push(...this.expire([...this.records.keys()], limits.idleDeadlineMs));
      if (this.records.size >= limits.maxSessions) return { created: false, full: 'all', oldestSeenMs: this.oldestSeen(this.records.keys()), expired };
    }
    const id = record.session.session_id;
    this.records.set(id, { record: copyOf(record), version: 1 });
    let ids = this.byHolder.get(record.holder);
    if (!ids) this.byHolder.set(record.holder, (ids = new Set()));
    ids.add(id);
    this.tally.created++;
    return { created: true, expired };
  }

  async load(sessionId: string): Promise<VersionedRecord | undefined> {
    const entry = this.records.get(sessionId);
    return entry && { record: copyOf(entry.record), version: entry.version };
  }

  async replace(record: SessionRecord, version: number): Promise<{ outcome: 'replaced'; version: number } | { outcome: 'conflict' | 'gone' }> {
    const entry = this.records.get(record.session.session_id);
    if (!entry) return { outcome: 'gone' };
    if (entry.version !== version) return { outcome: 'conflict' };
    entry.record = copyOf(record);
    entry.version++;
    return { outcome: 'replaced', version: entry.version };
  }

  async remove(sessionId: string): Promise<SessionRecord | undefined> {
    const entry = this.records.get(sessionId);
    if (!entry) return undefined;
    this.forget(sessionId, entry.record);
    this.tally.ended++;
    return entry.record;
  }

  async claimExpired(deadlineMs: number): Promise<SessionRecord[]> {
    return this.expire([...this.records.keys()], deadlineMs);
  }

  async list(): Promise<SessionRecord[]> {
    return [...this.records.values()].map((entry) => copyOf(entry.record));
  }

  async counters(): Promise<StatsCounters> {
    return { ...this.tally };
  }

  get size(): number {
    return this.records.size;
  }

  cached(sessionId: string): SessionRecord | undefined {
    return this.records.get(sessionId)?.record;
  }

  private expire(sessionIds: string[], deadlineMs: number): SessionRecord[] {
    const expired: SessionRecord[] = [];
    for (const id of sessionIds) {
      const entry = this.records.get(id);
      if (!entry || entry.record.lastSeenMs > deadlineMs) continue;
      this.forget(id, entry.record);
      this.tally.expired++;
      expired.push(entry.record);
    }
    return expired;
  }

  private forget(sessionId: string, record: SessionRecord): void {
    this.records.delete(sessionId);
    const held = this.byHolder.get(record.holder);
    if (held?.delete(sessionId) && held.size === 0) this.byHolder.delete(record.holder);
  }

  private oldestSeen(sessionIds: Iterable<string>): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const id of sessionIds) oldest = Math.min(oldest, this.records.get(id)?.record.lastSeenMs ?? oldest);
    return oldest;
  }
}

/** A copy a change may alter: the ladder is shared, since nothing alters it (it is the track's, as the session started). */
export function copyOf(record: SessionRecord): SessionRecord {
  return { ...record, session: structuredClone(record.session), monitor: { ...record.monitor } };
}
