import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { AnalyticsEngine, type AnalyticsOptions } from '../../src/analytics/engine.js';
import type { PlaySessionStart } from '../../src/analytics/types.js';
import { tempDir } from './temp.js';

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
 * (flushIntervalMs of an hour), so that what a test sees in the file is what it flushed.
 */
export function openStore(options: AnalyticsOptions = {}): { store: AnalyticsEngine; clock: Clock; file: string } {
  const clock = new Clock();
  const file = options.file ?? join(tempDir('hlsaudio-analytics-'), 'analytics.db');
  const store = new AnalyticsEngine({ flushIntervalMs: 3_600_000, now: clock.now, ...options, file });
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
