import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../../src/analytics/engine.js';
import { Clock, count, openStore, play, query, scratchDir, T0 } from '../../helpers/analytics.js';
import { ROOT } from '../../helpers/cli.js';

describe('batched writes', () => {
  it('keeps rows out of the file until a flush, then writes them all', async () => {
    const { store, clock, file } = openStore();
    const id = store.startPlaySession(play());
    for (let position = 2000; position <= 20_000; position += 2000) {
      clock.advance(2000);
      store.updatePlayProgress(id, position, 95);
    }
    store.recordRebuffer(id, 300);
    expect(count(file, 'play_sessions')).toBe(0);
    expect(count(file, 'progress_updates')).toBe(0);
    expect(store.stats()).toMatchObject({ queued_rows: 11, writes: 0 });
    expect(await store.flush()).toBe(11);
    expect(count(file, 'play_sessions')).toBe(1);
    expect(count(file, 'progress_updates')).toBe(10);
    expect(count(file, 'rebuffers')).toBe(1);
    expect(query(file, 'SELECT listened_ms, progress_updates, rebuffer_ms FROM play_sessions')).toEqual([{ listened_ms: 20_000, progress_updates: 10, rebuffer_ms: 300 }]);
    expect(store.stats()).toMatchObject({ queued_rows: 0, writes: 1, rows_written: 11 });
    store.close();
  });

  it('writes as soon as flushMaxRows rows are queued', () => {
    const { store, clock, file } = openStore({ flushMaxRows: 4 });
    const id = store.startPlaySession(play());
    for (let position = 1000; position <= 3000; position += 1000) {
      clock.advance(1000);
      store.updatePlayProgress(id, position);
    }
    expect(count(file, 'progress_updates')).toBe(0);
    clock.advance(1000);
    store.updatePlayProgress(id, 4000);
    expect(count(file, 'progress_updates')).toBe(4);
    expect(query(file, 'SELECT position_ms FROM play_sessions')).toEqual([{ position_ms: 4000 }]);
    clock.advance(1000);
    store.updatePlayProgress(id, 5000);
    expect(count(file, 'progress_updates')).toBe(4);
    expect(store.stats()).toMatchObject({ queued_rows: 1, writes: 1 });
    store.close();
  });

  it('writes every flushIntervalMs without being asked', async () => {
    const { store, file } = openStore({ flushIntervalMs: 20 });
    const id = store.startPlaySession(play());
    store.updatePlayProgress(id, 0, 50);
    for (let waited = 0; count(file, 'progress_updates') === 0 && waited < 2000; waited += 10) await sleep(10);
    expect(count(file, 'progress_updates')).toBe(1);
    store.close();
  });
});

describe('WAL checkpoints', () => {
  /** Writes 200 plays and waits up to `waitMs` for the database file (not the WAL) to grow. */
  async function databaseGrows(checkpointIntervalMs: number, waitMs: number): Promise<boolean> {
    const { store, clock, file } = openStore({ checkpointIntervalMs });
    const before = statSync(file).size;
    const ids = Array.from({ length: 200 }, (_, index) => store.startPlaySession(play({ userId: `u${index}` })));
    for (const id of ids) {
      clock.advance(10);
      store.updatePlayProgress(id, 1000, 50);
    }
    store.flush();
    let grew = false;
    for (let waited = 0; !grew && waited < waitMs; waited += 20) {
      await sleep(20);
      grew = statSync(file).size > before;
    }
    store.close();
    return grew;
  }

  it('are made by a worker thread, which copies the WAL into the database file', async () => {
    expect(await databaseGrows(20, 10_000)).toBe(true);
  });

  it('are left to SQLite with checkpointIntervalMs 0: below 1000 WAL pages, the database file stays as it was', async () => {
    expect(await databaseGrows(0, 300)).toBe(false);
  });
});

describe('restart', () => {
  it('keeps every play after close and reopen, and an open play goes on where it was', async () => {
    const { store, clock, file } = openStore();
    const ended = store.startPlaySession(play());
    clock.advance(10_000);
    store.updatePlayProgress(ended, 10_000, 90);
    store.endPlaySession(ended);
    const open = store.startPlaySession(play({ trackId: 'beta' }));
    clock.advance(10_000);
    store.updatePlayProgress(open, 10_000, 80);
    store.recordQualitySwitch(open, 'high', 'medium', 'user');
    clock.advance(10_000);
    store.updatePlayProgress(open, 20_000, 70);
    store.close();
    expect(() => store.getPlaySession(open)).toThrow(/is closed$/);

    clock.advance(15_000); // the server was down 15 s; the player kept playing
    const reopened = new AnalyticsEngine({ file, now: clock.now, flushIntervalMs: 3_600_000 });
    expect(reopened.getPlaySession(ended)).toMatchObject({ end_reason: 'Ended', listened_ms: 10_000 });
    expect(reopened.getPlaySession(open)).toMatchObject({ end_reason: null, quality: 'medium', listened_ms: 20_000, progress_updates: 2, average_buffer_health: 75 });
    reopened.updatePlayProgress(open, 35_000, 60);
    expect(reopened.endPlaySession(open)).toMatchObject({ listened_ms: 35_000, covered_ms: 35_000, average_buffer_health: 70 });
    const summary = await reopened.summary();
    expect(summary.totals).toMatchObject({ plays: 2, ended_plays: 2, listened_ms: 45_000, quality_switches: 1 });
    expect(summary.quality_distribution).toEqual([
      { quality: 'medium', listened_ms: 25_000, share: 0.5556 },
      { quality: 'high', listened_ms: 20_000, share: 0.4444 },
    ]);
    reopened.close();
  });

  it('ends as idle, at their last activity, the plays left open longer than sessionIdleMs ago', () => {
    const { store, clock, file } = openStore({ sessionIdleMs: 60_000 });
    const id = store.startPlaySession(play());
    clock.advance(5000);
    store.updatePlayProgress(id, 5000);
    store.close();
    const later = new Clock();
    later.ms = clock.ms + 61_000;
    const reopened = new AnalyticsEngine({ file, now: later.now, sessionIdleMs: 60_000 });
    expect(reopened.getPlaySession(id)).toMatchObject({ end_reason: 'Idle', ended_at: new Date(T0 + 5000).toISOString(), listened_ms: 5000 });
    expect(reopened.stats().open_sessions).toBe(0);
    expect(query(file, 'SELECT end_reason FROM play_sessions')).toEqual([{ end_reason: 'Idle' }]);
    reopened.close();
  });
});

describe('kill -9', () => {
  it('keeps what was written before the kill, loses only the rows still queued', async () => {
    const dir = scratchDir();
    const file = join(dir, 'analytics.db');
    const script = join(dir, 'writer.mjs');
    const engineUrl = pathToFileURL(join(ROOT, 'dist', 'analytics', 'engine.js')).href;
    // The built module, as `hlsaudio serve` runs it (npm test builds first).
    writeFileSync(
      script,
      `import { AnalyticsEngine } from ${JSON.stringify(engineUrl)};
      let now = ${T0};
      const store = new AnalyticsEngine({ file: ${JSON.stringify(file)}, now: () => now, flushIntervalMs: 3600000 });
      const id = store.startPlaySession({ userId: 'u1', trackId: 'alpha', ip: '192.0.2.10', durationMs: 100000, quality: 'high', platform: 'Web' });
      for (let position = 2000; position <= 20000; position += 2000) { now += 2000; store.updatePlayProgress(id, position, 90); }
      store.flush();
      for (let position = 22000; position <= 26000; position += 2000) { now += 2000; store.updatePlayProgress(id, position, 90); }
      process.stdout.write(id + '\\n');
      setInterval(() => {}, 1000);
      `,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    for (let waited = 0; !stdout.includes('\n') && child.exitCode === null && waited < 20_000; waited += 20) await sleep(20);
    expect(stderr).toBe('');
    const id = stdout.trim();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Killed before any checkpoint or close: the rows are in the WAL only.
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(count(file, 'progress_updates')).toBe(10);
    const store = new AnalyticsEngine({ file, now: () => T0 + 60_000 });
    expect(store.getPlaySession(id)).toMatchObject({ end_reason: null, position_ms: 20_000, listened_ms: 20_000, progress_updates: 10, average_buffer_health: 90 });
    store.close();
  });
});
