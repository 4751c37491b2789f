import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveStreamingManager, type SessionRecord } from '../../../src/streaming/manager.js';
import { initialMonitorState } from '../../../src/streaming/quality-monitor.js';
import { RedisSessionStore } from '../../../src/streaming/redis-session-store.js';
import { MemorySessionStore, type SessionLimits, type SessionStore } from '../../../src/streaming/session-store.js';
import type { StreamingSession } from '../../../src/streaming/types.js';
import { fakeTrack, LADDER } from '../../helpers/ladder.js';
import { type RedisServer, startRedis } from '../../helpers/redis.js';

/**
 * The SessionStore contract, run against both stores: this process's memory and a real
 * redis-server. `open()` gives one node's view of a fresh shared store: for memory the same
 * instance (one process), for Redis a new connection (another node) on the same keys.
 */
interface Backend {
  name: string;
  fresh(): { open(): Promise<SessionStore> };
}

let redis: RedisServer;
const opened: RedisSessionStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

const backends: Backend[] = [
  {
    name: 'MemorySessionStore',
    fresh: () => {
      const store = new MemorySessionStore();
      return { open: async () => store };
    },
  },
  {
    name: 'RedisSessionStore',
    fresh: () => {
      // A key prefix per test: tests share the redis-server, not their sessions.
      const keyPrefix = `t${randomUUID().slice(0, 8)}`;
      return {
        open: async () => {
          const store = await RedisSessionStore.connect({ url: redis.url, nodeId: `n${opened.length}`, keyPrefix });
          opened.push(store);
          return store;
        },
      };
    },
  },
];

const T0 = Date.parse('2026-01-01T00:00:00Z');
const IDLE = 60_000;

function record(holder: string, lastSeenMs = T0): SessionRecord {
  const id = randomUUID();
  const session: StreamingSession = {
    session_id: id,
    track_id: 'song',
    client_id: 'test',
    user_id: null,
    current_quality: 'high',
    client_capabilities: { estimated_bandwidth_kbps: 1000, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true },
    performance_metrics: { buffer_health_percentage: 0, download_speed_kbps: 0, packet_loss_percentage: 0, latency_ms: 0, rebuffer_count: 0, rebuffer_duration_ms: 0, quality_switches: 0 },
    created_at: new Date(lastSeenMs).toISOString(),
    last_updated: new Date(lastSeenMs).toISOString(),
    master_url: `/hls/song/master.m3u8?session=${id}`,
    recommendation: null,
  };
  return { session, ladder: LADDER, monitor: initialMonitorState(lastSeenMs), lastSeenMs, reported: false, holder };
}

const limits = (over: Partial<SessionLimits> = {}): SessionLimits => ({ holderQuota: 0, maxSessions: 1000, idleDeadlineMs: T0 - IDLE, idleMs: IDLE, ...over });
const ids = (records: SessionRecord[]) => records.map((r) => r.session.session_id).sort();

describe.each(backends)('SessionStore contract: $name', (backend) => {
  it('creates at version 1, hands out copies, and writes only at the version read', async () => {
    const store = await backend.fresh().open();
    const a = record('address:1');
    expect(await store.create(a, limits())).toEqual({ created: true, expired: [] });
    const loaded = (await store.load(a.session.session_id))!;
    expect(loaded.version).toBe(1);
    expect(loaded.record).toEqual(a);
    loaded.record.session.current_quality = 'low';
    expect((await store.load(a.session.session_id))!.record.session.current_quality).toBe('high');
    expect(await store.replace(loaded.record, 1, IDLE)).toEqual({ outcome: 'replaced', version: 2 });
    expect(store.cached(a.session.session_id)?.session.current_quality).toBe('low');
    // A writer that read version 1 lost the race: told so, nothing written.
    const stale = structuredClone(loaded.record);
    stale.session.current_quality = 'mobile';
    expect(await store.replace(stale, 1, IDLE)).toEqual({ outcome: 'conflict' });
    expect((await store.load(a.session.session_id))!).toMatchObject({ version: 2, record: { session: { current_quality: 'low' } } });
    expect(await store.load(randomUUID())).toBeUndefined();
  });

  it('ends a session once: one of two racing removals gets it, then writes find it gone', async () => {
    const shared = backend.fresh();
    const [one, two] = [await shared.open(), await shared.open()];
    const a = record('address:1');
    await one.create(a, limits());
    const results = await Promise.all([one.remove(a.session.session_id), two.remove(a.session.session_id)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await one.replace(a, 1, IDLE)).toEqual({ outcome: 'gone' });
    expect(await two.load(a.session.session_id)).toBeUndefined();
    expect(await one.counters()).toEqual({ created: 1, ended: 1, expired: 0 });
  });

  it('holds a holder\'s quota and the total, ending idle sessions in the way, with the oldest use for Retry-After', async () => {
    const store = await backend.fresh().open();
    const first = record('user:ana', T0 - 30_000);
    await store.create(first, limits({ holderQuota: 2 }));
    await store.create(record('user:ana', T0 - 10_000), limits({ holderQuota: 2 }));
    expect(await store.create(record('user:ana'), limits({ holderQuota: 2 }))).toEqual({ created: false, full: 'holder', oldestSeenMs: T0 - 30_000, expired: [] });
    // Another holder still has room; the total is full at 3.
    expect((await store.create(record('user:bob'), limits({ holderQuota: 2, maxSessions: 3 }))).created).toBe(true);
    expect(await store.create(record('user:cleo'), limits({ holderQuota: 2, maxSessions: 3 }))).toEqual({ created: false, full: 'all', oldestSeenMs: T0 - 30_000, expired: [] });
    // 40 s later ana's first session is idle: her next creation ends it and takes its place.
    const later = limits({ holderQuota: 2, idleDeadlineMs: T0 + 40_000 - IDLE });
    const outcome = await store.create(record('user:ana', T0 + 40_000), later);
    expect(outcome.created).toBe(true);
    expect(ids(outcome.expired)).toEqual([first.session.session_id]);
    expect(store.size).toBe(3);
    expect(await store.counters()).toEqual({ created: 4, ended: 0, expired: 1 });
  });

  it('claims each idle session for one caller only; a write refreshes its last use', async () => {
    const shared = backend.fresh();
    const [one, two] = [await shared.open(), await shared.open()];
    const records = Array.from({ length: 20 }, () => record('address:1'));
    for (const r of records) await one.create(r, limits());
    // One of them is used 50 s later: not idle at T0 + 70 s.
    const used = (await two.load(records[0]!.session.session_id))!;
    used.record.lastSeenMs = T0 + 50_000;
    expect((await two.replace(used.record, used.version, IDLE)).outcome).toBe('replaced');
    const [a, b] = await Promise.all([one.claimExpired(T0 + 70_000 - IDLE), two.claimExpired(T0 + 70_000 - IDLE)]);
    expect(ids([...a, ...b])).toEqual(ids(records.slice(1)));
    expect(ids(await one.list())).toEqual([records[0]!.session.session_id]);
    expect(await two.counters()).toEqual({ created: 20, ended: 0, expired: 19 });
  });
});

describe.each(backends)('AdaptiveStreamingManager on two nodes sharing a $name', (backend) => {
  const tracks = { getTrack: async (id: string) => (id === 'song' ? fakeTrack('song') : undefined) };
  const desktop = { estimated_bandwidth_kbps: 1000, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true } as const;

  async function twoNodes(options: ConstructorParameters<typeof AdaptiveStreamingManager>[1] = {}) {
    const shared = backend.fresh();
    const clock = { now: T0 };
    const node = async () => new AdaptiveStreamingManager(tracks, { now: () => clock.now, ...options }, await shared.open());
    return { a: await node(), b: await node(), clock };
  }

  it('loses neither of two changes racing on one session: a report on A, a quality PUT on B', async () => {
    const shared = backend.fresh();
    const storeA = await shared.open();
    // Node A reads the session, then waits until node B has written it: A's write then names a stale version.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let hold = true;
    const slowA: SessionStore = Object.assign(Object.create(storeA) as SessionStore, {
      load: async (id: string) => {
        const loaded = await storeA.load(id);
        if (hold) {
          hold = false;
          await held;
        }
        return loaded;
      },
    });
    const a = new AdaptiveStreamingManager(tracks, {}, slowA);
    const b = new AdaptiveStreamingManager(tracks, {}, await shared.open());
    const { session } = await b.createSession({ trackId: 'song', capabilities: desktop, clientId: 'x' });
    const report = a.reportMetrics(session.session_id, { buffer_health_percentage: 42, rebuffer_count: 2 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await b.updateSessionQuality(session.session_id, 'low', { adaptiveEnabled: false });
    release();
    const afterReport = await report;
    const final = await b.getSession(session.session_id);
    for (const s of [afterReport, final]) {
      expect(s).toMatchObject({ current_quality: 'low', client_capabilities: { adaptive_enabled: false }, performance_metrics: { buffer_health_percentage: 42, rebuffer_count: 2, quality_switches: 1 } });
    }
  });

  it('holds a quota across nodes: 12 creations racing on two nodes with a quota of 5, exactly 5 succeed', async () => {
    const { a, b } = await twoNodes({ maxSessionsPerUser: 5 });
    const requester = { address: '10.0.0.1', userId: 'ana', verified: true };
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).createSession({ trackId: 'song', capabilities: desktop, clientId: 'x', requester })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(refusals).toHaveLength(7);
    for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'E_QUOTA', retryAfterSec: 300 });
  });

  it('ends each idle session on one node only: session-ended once, counted once, in either node\'s stats', async () => {
    const { a, b, clock } = await twoNodes({ sessionIdleMs: IDLE });
    const ended: string[] = [];
    for (const [name, node] of [['a', a], ['b', b]] as const) node.on('session-ended', (s, reason) => ended.push(`${s.client_id} ${reason} on ${name}`));
    const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).createSession({ trackId: 'song', capabilities: desktop, clientId: `c${i}` })));
    clock.now += 30_000;
    await a.getSession(sessions[0]!.session.session_id);
    clock.now += 40_000;
    // Both nodes sweep at once; a second sweep of node A while its first runs joins it.
    const [onA, onB, again] = await Promise.all([a.expireIdleSessions(), b.expireIdleSessions(), a.expireIdleSessions()]);
    expect(onA + onB).toBe(5);
    expect(again).toBe(onA);
    expect(ended.map((line) => line.split(' on ')[0]).sort()).toEqual(['c1 expired', 'c2 expired', 'c3 expired', 'c4 expired', 'c5 expired']);
    expect(await b.getStreamingStats()).toMatchObject({ active_sessions: 1, sessions_created: 6, sessions_expired: 5 });
    expect((await b.getSession(sessions[0]!.session.session_id)).client_id).toBe('c0');
  });
});
