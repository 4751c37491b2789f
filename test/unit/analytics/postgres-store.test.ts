import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnalyticsEngine, type AnalyticsOptions } from '../../../src/analytics/engine.js';
import { isHlsaudioError } from '../../../src/errors.js';
import { logTo } from '../../../src/log.js';
import { Clock, openStore, play, query as querySqlite, T0 } from '../../helpers/analytics.js';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.js';
import { freePort } from '../../helpers/redis.js';

/**
 * The analytics on a real PostgreSQL 15 (one server for this file, a fresh database per test): the
 * same answers as SQLite, batched writes, migrations once under a lock, several nodes on one
 * database, and the database going away.
 */
let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});

const engines: AnalyticsEngine[] = [];
afterAll(async () => {
  for (const engine of engines) await engine.close().catch(() => undefined);
});

async function openPostgres(url: string, options: AnalyticsOptions = {}): Promise<{ store: AnalyticsEngine; clock: Clock; logs: string[] }> {
  const clock = new Clock();
  const logs: string[] = [];
  const store = await AnalyticsEngine.open({ url, flushIntervalMs: 3_600_000, now: clock.now, logger: logTo((level, line) => void logs.push(`${level} ${line}`)), ...options });
  engines.push(store);
  return { store, clock, logs };
}

function count(url: string, table: string): Promise<number> {
  return server.query<{ n: number }>(url, `SELECT COUNT(*)::int AS n FROM ${table}`).then((rows) => rows[0]!.n);
}

/**
 * Plays on three tracks, every kind of call: progress with and without buffer health, seeks back
 * and forward, quality switches of each reason, rebuffers, plays ended, left open and ended idle,
 * several platforms, and quality names whose order depends on the collation (`hi-fi` before `hi_fi`
 * byte by byte, after it in en-US).
 */
function script(store: AnalyticsEngine, clock: Clock): void {
  const at = (ms: number) => (clock.ms = T0 + ms);
  at(0);
  const a = store.startPlaySession(play({ userId: 'u1', trackId: 'alpha', platform: 'Web', quality: 'high' }));
  for (let position = 10_000; position <= 100_000; position += 10_000) {
    clock.advance(10_000);
    store.updatePlayProgress(a, position, 80);
  }
  store.endPlaySession(a);
  at(200_000);
  const b = store.startPlaySession(play({ userId: 'u2', trackId: 'alpha', platform: 'Ios', quality: 'hi_fi', userAgent: 'ios/1' }));
  clock.advance(10_000);
  store.updatePlayProgress(b, 10_000, 50);
  clock.advance(2000);
  store.updatePlayProgress(b, 70_000, 20);
  store.recordQualitySwitch(b, 'hi_fi', 'hi-fi', 'bandwidth');
  store.recordRebuffer(b, 1500);
  clock.advance(10_000);
  store.updatePlayProgress(b, 80_000);
  store.recordQualitySwitch(b, 'hi-fi', 'hi_fi', 'buffer_low');
  store.recordQualitySwitch(b, 'hi_fi', 'hi-fi', 'user');
  store.endPlaySession(b, 85_000);
  at(400_000);
  // A user agent with a NUL, cut at 512 characters in the middle of an emoji: text PostgreSQL refuses as is.
  const userAgent = `a\0b${'c'.repeat(508)}\u{1F600}`;
  const c = store.startPlaySession(play({ userId: undefined, trackId: 'beta', durationMs: 60_000, platform: 'Android', quality: 'high', referrer: 'https://example.org/', userAgent }));
  clock.advance(20_000);
  store.updatePlayProgress(c, 20_000, 100);
  clock.advance(5000);
  store.updatePlayProgress(c, 5000, 90);
  at(600_000);
  const d = store.startPlaySession(play({ trackId: 'gamma', platform: 'Desktop', quality: 'medium', startPositionMs: 30_000 }));
  clock.advance(4000);
  store.updatePlayProgress(d, 34_000, 70);
  store.recordRebuffer(d, 800);
  store.endPlaySession(d);
}

/** The answers of every route, without what is random per store (session ids). */
async function answers(store: AnalyticsEngine): Promise<unknown> {
  const withoutIds = (details: Awaited<ReturnType<AnalyticsEngine['trackDetails']>>) => ({
    ...details,
    recent_sessions: details.recent_sessions.map(({ session_id: _id, ...rest }) => rest),
  });
  return {
    all: await store.summary(),
    limited: await store.summary({ trackLimit: 1 }),
    range: await store.summary({ sinceMs: T0 + 100_000, untilMs: T0 + 500_000 }),
    alpha: withoutIds(await store.trackDetails('alpha')),
    beta: withoutIds(await store.trackDetails('beta', { sinceMs: T0 })),
    gamma: withoutIds(await store.trackDetails('gamma')),
    never: withoutIds(await store.trackDetails('never-played')),
  };
}

describe('AnalyticsEngine on PostgreSQL', () => {
  it('gives the same answers as on SQLite for the same calls', async () => {
    const sqlite = openStore();
    script(sqlite.store, sqlite.clock);
    // A database that sorts text by language: the answers must still be SQLite's, byte by byte.
    const postgres = await openPostgres(await server.createDatabase({ icuLocale: 'en-US' }));
    script(postgres.store, postgres.clock);
    const expected = await answers(sqlite.store);
    expect(await answers(postgres.store)).toEqual(expected);
    // Not vacuous: the figures are there, and in the bytewise order of SQLite.
    expect((expected as { all: { totals: { plays: number } } }).all.totals.plays).toBe(4);
    expect((expected as { alpha: { quality_switches: { from: string }[] } }).alpha.quality_switches.map((row) => row.from)).toEqual(['hi-fi', 'hi_fi', 'hi_fi']);
    expect((expected as { beta: { recent_sessions: { user_agent: string }[] } }).beta.recent_sessions[0]!.user_agent).toBe(`ab${'c'.repeat(508)}\uFFFD`);
  });

  it('has the same tables and columns as the SQLite file', async () => {
    const { file } = openStore();
    const url = await server.createDatabase();
    await openPostgres(url);
    const tables = ['analytics_nodes', 'play_sessions', 'progress_updates', 'quality_switches', 'rebuffers'];
    for (const table of tables) {
      const sqliteColumns = querySqlite<{ name: string }>(file, `SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).map((row) => row.name);
      const postgresColumns = (await server.query<{ column_name: string }>(url, 'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table])).map((row) => row.column_name);
      expect(postgresColumns, table).toEqual(sqliteColumns);
    }
  });

  it('writes in batches: nothing until a flush, then every row in one transaction', async () => {
    const url = await server.createDatabase();
    const { store, clock } = await openPostgres(url, { flushMaxRows: 5 });
    const id = store.startPlaySession(play());
    for (let position = 1000; position <= 4000; position += 1000) {
      clock.advance(1000);
      store.updatePlayProgress(id, position, 90);
    }
    expect(await count(url, 'play_sessions')).toBe(0);
    expect(await store.flush()).toBe(4);
    expect(await count(url, 'progress_updates')).toBe(4);
    // The fifth row of the next batch starts a write without being asked.
    for (let position = 5000; position <= 9000; position += 1000) {
      clock.advance(1000);
      store.updatePlayProgress(id, position, 90);
    }
    await vi.waitFor(async () => expect(await count(url, 'progress_updates')).toBe(9), { timeout: 5000, interval: 20 });
    expect(await server.query(url, 'SELECT listened_ms, position_ms, progress_updates FROM play_sessions')).toEqual([{ listened_ms: 9000, position_ms: 9000, progress_updates: 9 }]);
    expect(store.stats()).toMatchObject({ writes: 2, rows_written: 9, write_errors: 0 });
  });

  it('applies the migrations once when several nodes start together on a fresh database', async () => {
    const url = await server.createDatabase();
    const started = await Promise.all(Array.from({ length: 4 }, () => openPostgres(url)));
    expect(new Set(started.map(({ store }) => store.node)).size).toBe(4);
    expect(await server.query(url, 'SELECT version FROM analytics_schema')).toEqual([{ version: 3 }]);
    expect(await count(url, 'analytics_nodes')).toBe(4);
    // Each can write at once.
    await Promise.all(started.map(async ({ store }, index) => {
      store.startPlaySession(play({ userId: `u${index}` }));
      await store.flush();
    }));
    expect(await count(url, 'play_sessions')).toBe(4);
  });

  it('refuses a database of a newer schema', async () => {
    const url = await server.createDatabase();
    await server.query(url, 'CREATE TABLE analytics_schema (version INTEGER NOT NULL); INSERT INTO analytics_schema VALUES (99)');
    const error = await AnalyticsEngine.open({ url }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_ANALYTICS_DB' });
    expect((error as Error).message).toBe(`PostgreSQL at ${url.replace(':secret@', ':***@')}: analytics schema 99 was written by a newer hlsaudio (this one reads up to 3)`);
  });

  it('says E_DB, the URL masked, when PostgreSQL cannot be reached at start', async () => {
    const port = await freePort();
    const error = await AnalyticsEngine.open({ url: `postgres://hls:hunter2@127.0.0.1:${port}/analytics` }).catch((caught: unknown) => caught);
    expect(isHlsaudioError(error) && error.code).toBe('E_DB');
    expect((error as Error).message).toBe(`PostgreSQL at postgres://hls:***@127.0.0.1:${port}/analytics cannot be reached (connect ECONNREFUSED 127.0.0.1:${port})`);
  });
});

describe('several nodes on one database', () => {
  it('never touch the plays another live node holds, and adopt those of a node gone', async () => {
    const url = await server.createDatabase();
    const a = await openPostgres(url, { node: 'node-a', sessionIdleMs: 60_000 });
    const held = a.store.startPlaySession(play({ userId: 'on-a' }));
    a.clock.advance(5000);
    a.store.updatePlayProgress(held, 5000, 90);
    await a.store.flush();
    // B starts two minutes later (past A's idle time, within nodeTimeoutMs) and sweeps: A is alive.
    const b = await openPostgres(url, { node: 'node-b', sessionIdleMs: 60_000, flushIntervalMs: 10, sweepIntervalMs: 1 });
    b.clock.ms = a.clock.ms + 120_000;
    await sleep(100);
    expect(b.store.stats().open_sessions).toBe(0);
    expect(() => b.store.updatePlayProgress(held, 6000)).toThrow(/No play session/);
    expect(await server.query(url, 'SELECT node, ended_at_ms FROM play_sessions')).toEqual([{ node: 'node-a', ended_at_ms: null }]);
    // A stops: B's next sweep adopts the play, idle since A's last report, and ends it there.
    await a.store.close();
    await vi.waitFor(async () => {
      b.clock.advance(10); // the sweep runs when B's clock has moved
      expect(await server.query(url, 'SELECT node, end_reason, ended_at_ms FROM play_sessions')).toEqual([{ node: 'node-b', end_reason: 'Idle', ended_at_ms: T0 + 5000 }]);
    }, {
      timeout: 5000,
      interval: 20,
    });
    expect(await server.query(url, 'SELECT node FROM analytics_nodes')).toEqual([{ node: 'node-b' }]);
  });

  it('adopt the plays of a node that died without closing once it is unseen for nodeTimeoutMs', async () => {
    const url = await server.createDatabase();
    const dead = await openPostgres(url, { node: 'dead' });
    const id = dead.store.startPlaySession(play());
    await dead.store.flush();
    const live = await openPostgres(url, { node: 'live', flushIntervalMs: 10, sweepIntervalMs: 1, nodeTimeoutMs: 60_000, maxOpenSessions: 1 });
    live.clock.ms = dead.clock.ms + 30_000;
    await sleep(100);
    expect(live.store.stats().open_sessions).toBe(0);
    live.clock.ms = dead.clock.ms + 61_000;
    await vi.waitFor(() => expect(live.store.stats().open_sessions).toBe(1), { timeout: 5000, interval: 20 });
    // The adopted play does not take the place of the live node's own (maxOpenSessions 1).
    live.store.startPlaySession(play({ userId: 'own' }));
    expect(() => live.store.startPlaySession(play({ userId: 'one-too-many' }))).toThrow(/maxOpenSessions/);
    expect(live.store.stats().open_sessions).toBe(2);
    live.clock.advance(1000);
    live.store.updatePlayProgress(id, 1000, 50);
    await live.store.flush();
    expect(await server.query(url, "SELECT node, progress_updates FROM play_sessions WHERE user_id = 'u1'")).toEqual([{ node: 'live', progress_updates: 1 }]);
    // The dead node's late write changes nothing of a play it no longer holds.
    dead.clock.advance(500);
    dead.store.updatePlayProgress(id, 500, 10);
    await dead.store.flush();
    expect(await server.query(url, "SELECT node, progress_updates FROM play_sessions WHERE user_id = 'u1'")).toEqual([{ node: 'live', progress_updates: 1 }]);
  });
});

describe('PostgreSQL away at run time', () => {
  it('keeps the rows, warns once, reports degraded, and writes everything when it is back', async () => {
    const url = await server.createDatabase();
    const { store, clock, logs } = await openPostgres(url);
    const id = store.startPlaySession(play());
    await store.flush();
    await server.stop();
    try {
      for (let position = 1000; position <= 5000; position += 1000) {
        clock.advance(1000);
        store.updatePlayProgress(id, position, 80);
        await expect(store.flush()).rejects.toMatchObject({ code: 'E_ANALYTICS_WRITE' });
      }
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^warn analytics: PostgreSQL at postgres:\/\/hls:\*\*\*@127\.0\.0\.1:\d+\/\w+: writes fail \(.+\); 1 analytics rows kept to be written when it is back/);
      expect(store.degradedReason()).toMatch(/^analytics: writes to PostgreSQL at .* failing since .*; 5 failed writes, 5 rows waiting$/);
      expect(store.stats()).toMatchObject({ queued_rows: 5, write_errors: 5, rows_dropped: 0 });
    } finally {
      await server.start();
    }
    expect(await store.flush()).toBe(5);
    expect(logs[1]).toMatch(/^info analytics: writes to PostgreSQL at .* work again after [\d.]+ s \(5 failed writes, 0 rows lost\)$/);
    expect(store.degradedReason()).toBeUndefined();
    expect(await server.query(url, 'SELECT listened_ms, progress_updates FROM play_sessions')).toEqual([{ listened_ms: 5000, progress_updates: 5 }]);
    expect(await count(url, 'progress_updates')).toBe(5);
  });

  it('gives up on a frozen PostgreSQL after postgresQueryTimeoutMs without blocking the process, and writes each row once when it thaws', async () => {
    const url = await server.createDatabase();
    const { store, clock, logs } = await openPostgres(url, { postgresQueryTimeoutMs: 500 });
    const id = store.startPlaySession(play());
    await store.flush();
    const thaw = server.freeze();
    try {
      clock.advance(1000);
      store.updatePlayProgress(id, 1000, 80);
      // The process keeps running meanwhile: a 10 ms timer ticks all along the wait.
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const startedAt = performance.now();
      const failed = await store.flush().catch((error: unknown) => error);
      const waitedMs = performance.now() - startedAt;
      clearInterval(ticker);
      expect(failed).toMatchObject({ code: 'E_ANALYTICS_WRITE' });
      expect(waitedMs).toBeGreaterThanOrEqual(450);
      expect(ticks).toBeGreaterThan(waitedMs / 10 / 4);
      expect(store.degradedReason()).toMatch(/failing since .*; 1 failed writes, 1 rows waiting$/);
      clock.advance(1000);
      store.updatePlayProgress(id, 2000, 80);
    } finally {
      thaw();
    }
    await vi.waitFor(async () => expect(await store.flush()).toBe(2), { timeout: 10_000, interval: 200 });
    expect(store.degradedReason()).toBeUndefined();
    expect(logs.filter((line) => line.startsWith('warn '))).toHaveLength(1);
    // The write cut short by the timeout left nothing behind: each row is there once.
    expect(await server.query(url, 'SELECT position_ms FROM progress_updates ORDER BY at_ms')).toEqual([{ position_ms: 1000 }, { position_ms: 2000 }]);
    expect(await server.query(url, 'SELECT listened_ms, progress_updates FROM play_sessions')).toEqual([{ listened_ms: 2000, progress_updates: 2 }]);
  });

  it('keeps at most maxQueuedRows rows, dropping the oldest', async () => {
    const url = await server.createDatabase();
    const { store, clock } = await openPostgres(url, { maxQueuedRows: 3 });
    const id = store.startPlaySession(play());
    await store.flush();
    await server.stop();
    try {
      for (let position = 1000; position <= 5000; position += 1000) {
        clock.advance(1000);
        store.updatePlayProgress(id, position);
      }
      await expect(store.flush()).rejects.toMatchObject({ code: 'E_ANALYTICS_WRITE' });
      expect(store.stats()).toMatchObject({ queued_rows: 3, rows_dropped: 2 });
    } finally {
      await server.start();
    }
    await store.flush();
    expect(await server.query(url, 'SELECT position_ms FROM progress_updates ORDER BY at_ms')).toEqual([{ position_ms: 3000 }, { position_ms: 4000 }, { position_ms: 5000 }]);
    expect(await server.query(url, 'SELECT progress_updates FROM play_sessions')).toEqual([{ progress_updates: 5 }]);
  });
});
