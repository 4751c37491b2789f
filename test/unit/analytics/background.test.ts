import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BackgroundConnection } from '../../../src/analytics/background.js';
import { AnalyticsEngine } from '../../../src/analytics/engine.js';
import { openStore, scratchDir } from '../../helpers/analytics.js';

const PLAYS = 100_000;

/** A database with PLAYS ended plays over 500 tracks, written by SQL directly (the store would take seconds). */
function largeDatabase(): string {
  const file = join(scratchDir(), 'large.db');
  new AnalyticsEngine({ file }).close();
  const db = new DatabaseSync(file);
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PLAYS})
    INSERT INTO play_sessions (session_id, track_id, ip, platform, duration_ms, start_quality, quality, started_at_ms,
      last_seen_at_ms, last_progress_at_ms, position_ms, listened_ms, covered_ms, quality_listened_ms, ended_at_ms, end_reason, completed)
    SELECT 'play-' || i, 'track-' || (i % 500), '192.0.2.1', 'Web', 180000, 'high', 'high', i,
      i, i, 90000, 90000, 90000, '{"high":90000}', i, 'Ended', i % 2 FROM n`);
  db.close();
  return file;
}

/** How many times the event loop turns while `work` runs. */
async function loopTurnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const turn = () => {
    turns += 1;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  await work();
  running = false;
  return turns;
}

function workerOf(store: AnalyticsEngine): Worker {
  return (store as unknown as { store: { background: { worker: Worker } } }).store.background.worker;
}

describe('the worker thread', () => {
  const file = largeDatabase();

  it('answers the summary of many plays while the event loop keeps turning', async () => {
    const store = new AnalyticsEngine({ file });
    let summary;
    const turns = await loopTurnsDuring(async () => (summary = await store.summary()));
    expect(summary!.totals).toMatchObject({ plays: PLAYS, ended_plays: PLAYS, completed_plays: PLAYS / 2, completion_rate: 0.5, listened_ms: PLAYS * 90_000 });
    expect(summary!.track_count).toBe(500);
    expect(turns).toBeGreaterThan(3);
    store.close();
  });

  it('is replaced by the writing connection if it stops: the answer is the same, the loop waits for it', async () => {
    const store = new AnalyticsEngine({ file });
    const exited = new Promise((resolve) => workerOf(store).once('exit', resolve));
    await workerOf(store).terminate();
    await exited;
    let summary;
    const turns = await loopTurnsDuring(async () => (summary = await store.summary()));
    expect(summary!.totals).toMatchObject({ plays: PLAYS, completion_rate: 0.5 });
    expect(turns).toBeLessThanOrEqual(1);
    store.close();
  });

  it('reads several statements in one snapshot and reports an SQL error', async () => {
    const { store, file: small } = openStore();
    store.close();
    const connection = new BackgroundConnection(small, { checkpointIntervalMs: 0, busyTimeoutMs: 1000 }, () => undefined);
    const results = await connection.read([
      { sql: 'SELECT ? AS a', params: [1] },
      { sql: 'SELECT COUNT(*) AS n FROM play_sessions', params: [] },
    ]);
    expect(results).toEqual([[{ a: 1 }], [{ n: 0 }]]);
    await expect(connection.read([{ sql: 'SELECT * FROM nowhere', params: [] }])).rejects.toThrow('no such table: nowhere');
    expect(connection.alive).toBe(true);
    connection.stop();
    expect(connection.alive).toBe(false);
  });
});
