import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, vi } from 'vitest';
import { AnalyticsEngine, analyticsFile } from '../../../src/analytics/engine.js';
import { HlsaudioError } from '../../../src/errors.js';
import { logTo } from '../../../src/log.js';
import { count, openStore, play, query, scratchDir, T0 } from '../../helpers/analytics.js';

function thrown(action: () => unknown): HlsaudioError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HlsaudioError);
    return error as HlsaudioError;
  }
  throw new Error('expected an error');
}

describe('AnalyticsEngine: recording', () => {
  it('starts a play and stores who, what and where', () => {
    const { store, file } = openStore();
    const id = store.startPlaySession(play({ referrer: 'https://example.org/', startPositionMs: 5000 }));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    store.flush();
    const [row] = query<Record<string, unknown>>(file, 'SELECT * FROM play_sessions');
    expect(row).toMatchObject({
      session_id: id,
      user_id: 'u1',
      track_id: 'alpha',
      ip: '192.0.2.10',
      user_agent: 'test/1.0',
      platform: 'Web',
      referrer: 'https://example.org/',
      duration_ms: 100_000,
      start_quality: 'high',
      quality: 'high',
      started_at_ms: T0,
      position_ms: 5000,
      ended_at_ms: null,
    });
    store.close();
  });

  it('credits progress from the start position, buffer health averaged over the reports that carry it', () => {
    const { store, clock, file } = openStore();
    const id = store.startPlaySession(play());
    clock.advance(2000);
    store.updatePlayProgress(id, 2000, 90);
    clock.advance(2000);
    store.updatePlayProgress(id, 4000.4, null);
    clock.advance(2000);
    store.updatePlayProgress(id, 6000, 70);
    expect(store.getPlaySession(id)).toMatchObject({ position_ms: 6000, listened_ms: 6000, covered_ms: 6000, progress_updates: 3, average_buffer_health: 80 });
    store.flush();
    expect(query(file, 'SELECT at_ms, position_ms, buffer_health, credited_ms FROM progress_updates ORDER BY rowid')).toEqual([
      { at_ms: T0 + 2000, position_ms: 2000, buffer_health: 90, credited_ms: 2000 },
      { at_ms: T0 + 4000, position_ms: 4000, buffer_health: null, credited_ms: 2000 },
      { at_ms: T0 + 6000, position_ms: 6000, buffer_health: 70, credited_ms: 2000 },
    ]);
    store.close();
  });

  it('records quality switches and rebuffers, and credits listening to the quality playing', () => {
    const { store, clock, file } = openStore();
    const id = store.startPlaySession(play());
    clock.advance(10_000);
    store.updatePlayProgress(id, 10_000, 50);
    store.recordQualitySwitch(id, 'high', 'mobile', 'buffer_low');
    store.recordRebuffer(id, 1500);
    clock.advance(10_000);
    store.updatePlayProgress(id, 20_000, 60);
    const record = store.getPlaySession(id);
    expect(record).toMatchObject({ quality: 'mobile', quality_switches: 1, rebuffers: 1, rebuffer_ms: 1500, listened_ms: 20_000 });
    store.flush();
    expect(query(file, 'SELECT from_quality, to_quality, reason FROM quality_switches')).toEqual([{ from_quality: 'high', to_quality: 'mobile', reason: 'buffer_low' }]);
    expect(query(file, 'SELECT at_ms, duration_ms FROM rebuffers')).toEqual([{ at_ms: T0 + 10_000, duration_ms: 1500 }]);
    expect(query(file, 'SELECT quality_listened_ms FROM play_sessions')).toEqual([{ quality_listened_ms: '{"high":10000,"mobile":10000}' }]);
    store.close();
  });

  it('ends a play with its final position, and says whether it completed', () => {
    const { store, clock, file } = openStore();
    const full = store.startPlaySession(play());
    for (let position = 10_000; position <= 90_000; position += 10_000) {
      clock.advance(10_000);
      store.updatePlayProgress(full, position);
    }
    clock.advance(5000);
    const ended = store.endPlaySession(full, 95_000);
    expect(ended).toMatchObject({ end_reason: 'Ended', ended_at: new Date(clock.ms).toISOString(), listened_ms: 95_000, covered_ms: 95_000, completion: 0.95, completed: true });

    const skipped = store.startPlaySession(play());
    clock.advance(30_000);
    store.updatePlayProgress(skipped, 30_000);
    clock.advance(1000);
    store.updatePlayProgress(skipped, 99_000); // seek to the end: not listened
    expect(store.endPlaySession(skipped)).toMatchObject({ listened_ms: 30_000, covered_ms: 30_000, completion: 0.3, completed: false, position_ms: 99_000 });
    store.flush();
    expect(query(file, 'SELECT end_reason, completed FROM play_sessions ORDER BY id')).toEqual([
      { end_reason: 'Ended', completed: 1 },
      { end_reason: 'Ended', completed: 0 },
    ]);
    store.close();
  });

  it('counts a replay in listened time but once in completion', () => {
    const { store, clock } = openStore();
    const id = store.startPlaySession(play({ durationMs: 60_000 }));
    for (let round = 0; round < 3; round++) {
      for (let position = 10_000; position <= 30_000; position += 10_000) {
        clock.advance(10_000);
        store.updatePlayProgress(id, position);
      }
      clock.advance(1000);
      store.updatePlayProgress(id, 0); // back to the start
    }
    expect(store.endPlaySession(id)).toMatchObject({ listened_ms: 90_000, covered_ms: 30_000, completion: 0.5, completed: false });
    store.close();
  });

  it('takes positions past the end as the end', () => {
    const { store, clock } = openStore();
    const id = store.startPlaySession(play({ durationMs: 3000 }));
    clock.advance(3100);
    store.updatePlayProgress(id, 3046.4);
    expect(store.getPlaySession(id)).toMatchObject({ position_ms: 3000, listened_ms: 3000, completion: 1 });
    store.close();
  });
});

describe('AnalyticsEngine: bad input', () => {
  const { store } = openStore();
  const id = store.startPlaySession(play());

  it.each([
    [{ trackId: '../etc' }, 'track_id', 'Expected `track_id` to be a track id (lower-case letters, digits, - and _, at most 128), got "../etc"'],
    [{ ip: 'localhost' }, 'ip', 'Expected `ip` to be an IPv4 or IPv6 address, got "localhost"'],
    [{ durationMs: 0 }, 'duration_ms', 'Expected `duration_ms` to be a number of milliseconds from 1 to 86400000, got number 0'],
    [{ durationMs: Number.NaN }, 'duration_ms', 'Expected `duration_ms` to be a number of milliseconds from 1 to 86400000, got number NaN'],
    [{ quality: 'HIGH' }, 'quality', 'Expected `quality` to be a quality_id such as "high", got "HIGH"'],
    [{ platform: 'web' as never }, 'platform', 'Expected `platform` to be one of Web, Ios, Android, Desktop, Unknown, got "web"'],
    [{ userId: '' }, 'user_id', 'Expected `user_id` to be absent or an id of 1 to 128 printable ASCII characters (no space), got ""'],
    [{ userId: 'bob\u0000' }, 'user_id', 'Expected `user_id` to be absent or an id of 1 to 128 printable ASCII characters (no space), got "bob\\u0000"'],
    [{ startPositionMs: -1 }, 'start_position_ms', 'Expected `start_position_ms` to be a number of milliseconds, 0 or more, got number -1'],
  ])('refuses a start with %o', (override, field, message) => {
    const error = thrown(() => store.startPlaySession(play(override)));
    expect(error).toMatchObject({ code: 'E_FIELD', field, message });
  });

  it('cuts a long user agent and referrer instead of refusing them', () => {
    const long = store.startPlaySession(play({ userAgent: 'x'.repeat(600), referrer: 'y'.repeat(3000) }));
    expect(store.getPlaySession(long)).toMatchObject({ user_agent: 'x'.repeat(512), referrer: 'y'.repeat(2048) });
  });

  it('refuses a negative or non-numeric position', () => {
    expect(thrown(() => store.updatePlayProgress(id, -5))).toMatchObject({
      code: 'E_FIELD',
      message: 'Expected `position_ms` to be a number of milliseconds, 0 or more, got number -5',
    });
    expect(thrown(() => store.updatePlayProgress(id, '5' as never))).toMatchObject({ code: 'E_FIELD', field: 'position_ms' });
  });

  it('refuses buffer health outside 0-100', () => {
    for (const health of [-0.1, 100.5, Number.POSITIVE_INFINITY]) {
      expect(thrown(() => store.updatePlayProgress(id, 1000, health))).toMatchObject({
        code: 'E_FIELD',
        field: 'buffer_health',
        message: `Expected \`buffer_health\` to be absent or a percentage from 0 to 100, got number ${health}`,
      });
    }
  });

  it('refuses an unknown session id', () => {
    expect(thrown(() => store.updatePlayProgress('no-such-session', 1000))).toMatchObject({ code: 'E_UNKNOWN_PLAY_SESSION', message: 'No play session "no-such-session"' });
    expect(thrown(() => store.recordRebuffer('no-such-session', 10))).toMatchObject({ code: 'E_UNKNOWN_PLAY_SESSION' });
    expect(thrown(() => store.updatePlayProgress(42 as never, 1000))).toMatchObject({ code: 'E_FIELD', field: 'session_id' });
  });

  it('refuses a switch to the same quality, an unknown reason and a negative rebuffer', () => {
    expect(thrown(() => store.recordQualitySwitch(id, 'high', 'high', 'player'))).toMatchObject({
      code: 'E_FIELD',
      message: 'Expected `to` to be a quality other than `from` ("high"), got "high"',
    });
    expect(thrown(() => store.recordQualitySwitch(id, 'high', 'low', 'because' as never))).toMatchObject({ code: 'E_FIELD', field: 'reason' });
    expect(thrown(() => store.recordRebuffer(id, -1))).toMatchObject({ code: 'E_FIELD', field: 'duration_ms' });
  });

  it('left the play untouched by the refused calls', () => {
    expect(store.getPlaySession(id)).toMatchObject({ progress_updates: 0, quality_switches: 0, rebuffers: 0 });
  });

  it('refuses calls on an ended play, from memory and after it is written', () => {
    const ended = store.startPlaySession(play());
    store.endPlaySession(ended);
    const message = `Play session ${ended} has ended (ended by its player); start a new one`;
    expect(thrown(() => store.updatePlayProgress(ended, 1000))).toMatchObject({ code: 'E_PLAY_SESSION_ENDED', message });
    store.flush();
    expect(thrown(() => store.endPlaySession(ended))).toMatchObject({ code: 'E_PLAY_SESSION_ENDED', message });
    expect(store.getPlaySession(ended).end_reason).toBe('Ended');
  });

  it('refuses more open plays than maxOpenSessions', () => {
    const { store: small } = openStore({ maxOpenSessions: 2 });
    const first = small.startPlaySession(play());
    small.startPlaySession(play());
    expect(thrown(() => small.startPlaySession(play()))).toMatchObject({
      code: 'E_TOO_MANY_PLAY_SESSIONS',
      message: '2 play sessions are open (maxOpenSessions); end some first',
    });
    small.endPlaySession(first);
    expect(small.startPlaySession(play())).toMatch(/-/);
    small.close();
  });

  it('refuses every call once closed', async () => {
    const { store: closing } = openStore();
    const open = closing.startPlaySession(play());
    closing.close();
    closing.close();
    expect(thrown(() => closing.updatePlayProgress(open, 1))).toMatchObject({ code: 'E_ANALYTICS_CLOSED' });
    await expect(closing.summary()).rejects.toMatchObject({ code: 'E_ANALYTICS_CLOSED' });
  });
});

describe('AnalyticsEngine: options and the database file', () => {
  it('puts the database under the output folder by default', () => {
    const out = scratchDir();
    const store = new AnalyticsEngine({ outDir: out });
    expect(store.file).toBe(join(out, '.hlsaudio', 'analytics.db'));
    expect(analyticsFile(out)).toBe(store.file);
    store.close();
    expect(query(store.file!, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  });

  it('refuses bad options with the option named', () => {
    const file = join(scratchDir(), 'a.db');
    expect(thrown(() => new AnalyticsEngine({ file, flushMaxRows: 0 }))).toMatchObject({
      code: 'E_OPTION',
      message: 'Expected `flushMaxRows` to be an integer from 1 to 1000000, got number 0',
    });
    expect(thrown(() => new AnalyticsEngine({ file, completionRatio: 1.5 }))).toMatchObject({ code: 'E_OPTION', field: 'completionRatio' });
    expect(thrown(() => new AnalyticsEngine({ file, synchronous: 'OFF' as never }))).toMatchObject({ code: 'E_OPTION', field: 'synchronous' });
    expect(thrown(() => new AnalyticsEngine({}))).toMatchObject({ code: 'E_OPTION', field: 'file' });
  });

  it('applies the schema once and records its version', () => {
    const { store, file } = openStore();
    store.close();
    new AnalyticsEngine({ file }).close();
    expect(query(file, 'PRAGMA user_version')).toEqual([{ user_version: 3 }]);
    expect(query<{ name: string }>(file, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").map((row) => row.name)).toEqual([
      'analytics_nodes',
      'play_sessions',
      'progress_updates',
      'quality_switches',
      'rebuffers',
    ]);
  });

  it('migrates the reasons a version 1 database stored to the one vocabulary of quality changes', () => {
    const { store, file } = openStore();
    const id = store.startPlaySession(play());
    const old = ['Auto', 'User', 'Bandwidth', 'BufferHealth', 'PacketLoss', 'Latency', 'Rebuffer', 'Error'];
    for (const [index] of old.entries()) store.recordQualitySwitch(id, `q${index}`, `q${index + 1}`, 'user');
    store.close();
    // What version 1 wrote: its own reason names, and neither the node column nor the nodes table of version 3.
    const db = new DatabaseSync(file);
    db.exec('ALTER TABLE play_sessions DROP COLUMN node; DROP TABLE analytics_nodes');
    const rows = db.prepare('SELECT rowid FROM quality_switches ORDER BY rowid').all() as { rowid: number }[];
    for (const [index, row] of rows.entries()) db.prepare('UPDATE quality_switches SET reason = ? WHERE rowid = ?').run(old[index]!, row.rowid);
    db.exec('PRAGMA user_version = 1');
    db.close();
    new AnalyticsEngine({ file }).close();
    expect(query<{ reason: string }>(file, 'SELECT reason FROM quality_switches ORDER BY rowid').map((row) => row.reason)).toEqual([
      'player',
      'user',
      'bandwidth',
      'buffer_low',
      'packet_loss',
      'latency',
      'rebuffer',
      'player',
    ]);
    expect(query(file, 'PRAGMA user_version')).toEqual([{ user_version: 3 }]);
  });

  it('refuses a database of a newer schema, and a file that is not a database', () => {
    const dir = scratchDir();
    const newer = join(dir, 'newer.db');
    const db = new DatabaseSync(newer);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(thrown(() => new AnalyticsEngine({ file: newer }))).toMatchObject({
      code: 'E_ANALYTICS_DB',
      message: `${newer}: analytics schema 99 was written by a newer hlsaudio (this one reads up to 3)`,
    });
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database, just text that is long enough to hold a header '.repeat(20));
    const error = thrown(() => new AnalyticsEngine({ file: junk }));
    expect(error.code).toBe('E_ANALYTICS_DB');
    expect(error.message).toMatch(/^.*junk\.db: not an analytics database hlsaudio can use \(file is not a database\)$/);
  });

  it('refuses a database folder it cannot create', () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'plain-file'), '');
    const error = thrown(() => new AnalyticsEngine({ file: join(dir, 'plain-file', 'analytics.db') }));
    expect(error).toMatchObject({ code: 'E_ANALYTICS_DB' });
    expect(error.message).toMatch(/plain-file: cannot create the analytics folder/);
  });
});

describe('AnalyticsEngine: idle plays', () => {
  it('ends a silent play at its last activity, on the sweep timer', async () => {
    const { store, clock, file } = openStore({ flushIntervalMs: 10, sweepIntervalMs: 1, sessionIdleMs: 60_000 });
    const silent = store.startPlaySession(play());
    const active = store.startPlaySession(play());
    clock.advance(10_000);
    store.updatePlayProgress(silent, 10_000);
    clock.advance(55_000);
    store.updatePlayProgress(active, 10_000);
    clock.advance(10_000); // silent: 65 s since its last report; active: 10 s
    // The sweep runs on its own timer: wait for it (a loaded machine may delay it), not a fixed time.
    await vi.waitFor(() => expect(store.getPlaySession(silent).end_reason).toBe('Idle'), { timeout: 5000, interval: 20 });
    expect(store.getPlaySession(silent)).toMatchObject({ end_reason: 'Idle', ended_at: new Date(T0 + 10_000).toISOString() });
    expect(store.getPlaySession(active)).toMatchObject({ end_reason: null });
    expect(thrown(() => store.updatePlayProgress(silent, 20_000))).toMatchObject({
      code: 'E_PLAY_SESSION_ENDED',
      message: `Play session ${silent} has ended (idle too long); start a new one`,
    });
    expect(query(file, 'SELECT end_reason, ended_at_ms FROM play_sessions WHERE session_id = ?', silent)).toEqual([{ end_reason: 'Idle', ended_at_ms: T0 + 10_000 }]);
    expect(store.stats().open_sessions).toBe(1);
    store.close();
  });
});

describe('AnalyticsEngine: a write that fails', () => {
  it('drops that batch, reports it, and writes the totals again with the next batch', () => {
    const errors: string[] = [];
    const { store, clock, file } = openStore({ flushMaxRows: 2, logger: logTo((level, message) => errors.push(`${level} ${message}`)) });
    const id = store.startPlaySession(play());
    store.flush();
    const other = new DatabaseSync(file);
    other.exec('ALTER TABLE progress_updates RENAME TO progress_aside');
    clock.advance(2000);
    store.updatePlayProgress(id, 2000);
    clock.advance(2000);
    store.updatePlayProgress(id, 4000); // the second row: a write, which fails
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^warn analytics: .*: 2 analytics rows could not be written and are lost \(no such table: progress_updates\)$/);
    other.exec('ALTER TABLE progress_aside RENAME TO progress_updates');
    other.close();
    clock.advance(2000);
    store.updatePlayProgress(id, 6000);
    store.flush();
    expect(store.stats()).toMatchObject({ rows_dropped: 2, write_errors: 1, rows_written: 1 });
    expect(count(file, 'progress_updates')).toBe(1);
    expect(query(file, 'SELECT listened_ms, progress_updates FROM play_sessions')).toEqual([{ listened_ms: 6000, progress_updates: 3 }]);
    store.close();
  });
});
