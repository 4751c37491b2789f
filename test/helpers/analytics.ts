import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll } from 'vitest';
import { AnalyticsEngine, type AnalyticsOptions } from '../../src/analytics/engine.js';
import type { PlaySessionStart } from '../../src/analytics/types.js';

/**
 * Stores and folders made by this file's tests, closed and removed after them. Registered here, when
 * the test file imports this helper, because a hook registered from inside a running test never runs.
 */
const opened: AnalyticsEngine[] = [];
const folders: string[] = [];
afterAll(() => {
  for (const store of opened) store.close();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the file's tests (usable inside a test). */
export function scratchDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'hlsaudio-analytics-'));
  folders.push(folder);
  return folder;
}

/** 2024-01-01T00:00:00Z: scripted plays run on a clock the test moves. */
export const T0 = Date.UTC(2024, 0, 1);

export class Clock {
  ms = T0;
  now = (): number => this.ms;
  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }
}

/**
 * A store on a fresh file with a test clock, and no timed write during the test unless asked
 * (flushIntervalMs of an hour), so that what a test sees in the file is what it flushed. Closed
 * after the file's tests if the test did not close it.
 */
export function openStore(options: AnalyticsOptions = {}): { store: AnalyticsEngine; clock: Clock; file: string } {
  const clock = new Clock();
  const file = options.file ?? join(scratchDir(), 'analytics.db');
  const store = new AnalyticsEngine({ flushIntervalMs: 3_600_000, now: clock.now, ...options, file });
  opened.push(store);
  return { store, clock, file };
}

export function play(overrides: Partial<PlaySessionStart> = {}): PlaySessionStart {
  return { userId: 'u1', trackId: 'alpha', ip: '192.0.2.10', userAgent: 'test/1.0', durationMs: 100_000, quality: 'high', platform: 'Web', ...overrides };
}

/** Reads the file through a second connection, as another process would: only committed rows show. */
export function query<T>(file: string, sql: string, ...params: (string | number)[]): T[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function count(file: string, table: string): number {
  return query<{ n: number }>(file, `SELECT COUNT(*) AS n FROM ${table}`)[0]!.n;
}
