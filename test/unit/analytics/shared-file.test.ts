import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnalyticsEngine, type AnalyticsStats } from '../../../src/analytics/engine.js';
import { count, query, scratchDir } from '../../helpers/analytics.js';
import { ROOT } from '../../helpers/cli.js';

/**
 * Several processes on one SQLite file, as `serve --workers` forks them with the default database:
 * they create it together, write at once (each write waits for the other's lock, busyTimeoutMs),
 * and each writes only its own plays.
 */
function writer(file: string, node: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = join(scratchDir(), 'writer.mjs');
  const engineUrl = pathToFileURL(join(ROOT, 'dist', 'analytics', 'engine.js')).href;
  // The built module, as `hlsaudio serve` runs it (npm test builds first).
  writeFileSync(
    script,
    `import { AnalyticsEngine } from ${JSON.stringify(engineUrl)};
    const store = new AnalyticsEngine({ file: ${JSON.stringify(file)}, node: ${JSON.stringify(node)}, flushMaxRows: 10, flushIntervalMs: 5 });
    const ids = Array.from({ length: 20 }, (_, index) => store.startPlaySession({ userId: '${node}-' + index, trackId: 'alpha', ip: '192.0.2.10', durationMs: 100000, quality: 'high', platform: 'Web' }));
    for (let step = 1; step <= 10; step++) {
      for (const id of ids) store.updatePlayProgress(id, step * 1000, 50);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const id of ids.slice(1)) store.endPlaySession(id);
    await store.flush();
    const stats = store.stats();
    await store.close();
    process.stdout.write(JSON.stringify(stats));
    `,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('several processes on one SQLite file', () => {
  it('create it together, write at once without losing a row, and leave their open plays to the next', async () => {
    const file = join(scratchDir(), 'analytics.db');
    const results = await Promise.all(['p0', 'p1', 'p2'].map((node) => writer(file, node)));
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout) as AnalyticsStats).toMatchObject({ write_errors: 0, rows_dropped: 0, rows_written: 200 });
    }
    expect(query(file, 'PRAGMA user_version')).toEqual([{ user_version: 3 }]);
    expect(count(file, 'play_sessions')).toBe(60);
    expect(count(file, 'progress_updates')).toBe(600);
    // Ended plays stay with the process that played them; an open play left by a process that closed
    // before another opened was adopted by that one (hence by user, not by node, for the open ones).
    expect(query(file, 'SELECT node, COUNT(*) AS plays, SUM(listened_ms) AS listened_ms FROM play_sessions WHERE ended_at_ms IS NOT NULL GROUP BY node ORDER BY node')).toEqual(
      ['p0', 'p1', 'p2'].map((node) => ({ node, plays: 19, listened_ms: 19 * 10_000 })),
    );
    expect(query(file, 'SELECT user_id, listened_ms FROM play_sessions WHERE ended_at_ms IS NULL ORDER BY user_id')).toEqual(
      ['p0', 'p1', 'p2'].map((node) => ({ user_id: `${node}-0`, listened_ms: 10_000 })),
    );
    // Each left the register when it closed: the next process takes their three open plays.
    expect(count(file, 'analytics_nodes')).toBe(0);
    const next = new AnalyticsEngine({ file, node: 'next' });
    expect(next.stats().open_sessions).toBe(3);
    await next.close();
    expect(query(file, 'SELECT DISTINCT node FROM play_sessions WHERE ended_at_ms IS NULL')).toEqual([{ node: 'next' }]);
  });
});
