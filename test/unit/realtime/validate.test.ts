import { describe, expect, test } from 'vitest';
import { COMMAND_NAMES, EVENT_NAMES, SPEC_EVENT_NAMES } from '../../../src/realtime/protocol.js';
import { parseCommand, sniffCommandId, toEvent } from '../../../src/realtime/validate.js';

const parse = (value: unknown) => parseCommand(typeof value === 'string' ? value : JSON.stringify(value));

function failure(value: unknown) {
  const result = parse(value);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.command)}`);
  return { command_id: result.command_id, code: result.error.code, field: result.error.field, message: result.error.message };
}

describe('parseCommand', () => {
  test('reads every command of the spec, Options absent or null becoming null', () => {
    const commands = [
      { command: 'Play', command_id: 'c1', track_id: 'song_456', start_position_ms: 30000 },
      { command: 'Pause', command_id: 'c2', track_id: 't' },
      { command: 'Stop', command_id: 'c3', track_id: 't' },
      { command: 'Seek', command_id: 'c4', track_id: 't', position_ms: 60000 },
      { command: 'AddToPlaylist', command_id: 'c5', playlist_id: 'p', track_id: 't', position: 2 },
      { command: 'RemoveFromPlaylist', command_id: 'c6', playlist_id: 'p', track_id: 't' },
      { command: 'Subscribe', command_id: 'c7', events: ['PlaybackStarted', 'TrackLiked'], filters: { user_id: 'u' } },
      { command: 'Unsubscribe', command_id: 'c8', events: ['TrackLiked'] },
      { command: 'GetStatus', command_id: 'c9' },
      { command: 'Ping', command_id: 'c10' },
    ];
    expect(commands.map((command) => command.command)).toEqual(COMMAND_NAMES);
    for (const command of commands) expect(parse(command)).toEqual({ ok: true, command });
    expect(parse({ command: 'Play', command_id: 'x', track_id: 't' })).toEqual({ ok: true, command: { command: 'Play', command_id: 'x', track_id: 't', start_position_ms: null } });
    expect(parse({ command: 'Subscribe', command_id: 'x', events: ['LiveStats'], filters: null })).toEqual({
      ok: true,
      command: { command: 'Subscribe', command_id: 'x', events: ['LiveStats'], filters: null },
    });
  });

  test('ignores fields the spec does not know, as serde does', () => {
    expect(parse({ command: 'Ping', command_id: 'x', extra: 1 })).toEqual({ ok: true, command: { command: 'Ping', command_id: 'x' } });
  });

  test('rounds fractional milliseconds (the spec React client sends currentTime * 1000)', () => {
    const result = parse({ command: 'Seek', command_id: 'x', track_id: 't', position_ms: 1234.6 });
    expect(result.ok && result.command).toMatchObject({ position_ms: 1235 });
  });

  test('non-JSON, non-object and unknown commands', () => {
    expect(failure('{"command": "Play",')).toMatchObject({ command_id: '', code: 'E_MESSAGE' });
    expect(failure('{"command": "Play",').message).toMatch(/^message is not JSON \(.+\); send one JSON object per text frame$/);
    expect(failure([1, 2])).toEqual({ command_id: '', code: 'E_MESSAGE', field: 'message', message: 'Expected `message` to be a JSON object with a `command` field, got an array' });
    expect(failure({ command_id: 'c1' })).toEqual({
      command_id: 'c1',
      code: 'E_MESSAGE',
      field: 'command',
      message: `Expected \`command\` to be one of ${COMMAND_NAMES.join(', ')}, got nothing`,
    });
    expect(failure({ command: 'Rewind', command_id: 'c2' })).toMatchObject({ command_id: 'c2', field: 'command', message: expect.stringContaining('got "Rewind"') });
  });

  test('missing and mistyped fields are named, with the command_id when one was given', () => {
    expect(failure({ command: 'Play', command_id: 'c1' })).toEqual({
      command_id: 'c1',
      code: 'E_MESSAGE',
      field: 'track_id',
      message: 'Expected `track_id` to be an id of 1 to 128 printable ASCII characters (no space), got nothing',
    });
    expect(failure({ command: 'Seek', command_id: 'c2', track_id: 't', position_ms: '10' })).toMatchObject({
      command_id: 'c2',
      field: 'position_ms',
      message: 'Expected `position_ms` to be a number of milliseconds >= 0, got "10"',
    });
    expect(failure({ command: 'Seek', command_id: 'c2', track_id: 't', position_ms: -5 })).toMatchObject({ field: 'position_ms', message: expect.stringContaining('got number -5') });
    expect(failure({ command: 'AddToPlaylist', command_id: 'c3', playlist_id: 'p', track_id: 't', position: 1.5 })).toMatchObject({
      field: 'position',
      message: 'Expected `position` to be an integer >= 0, got number 1.5',
    });
    expect(failure({ command: 'Ping', command_id: 42 })).toMatchObject({ command_id: '', field: 'command_id', message: 'Expected `command_id` to be an id of 1 to 128 printable ASCII characters (no space), got number 42' });
    expect(failure({ command: 'Play', command_id: 'c', track_id: 'x'.repeat(129) })).toMatchObject({ field: 'track_id' });
  });

  test('event names and filters of Subscribe', () => {
    expect(failure({ command: 'Subscribe', command_id: 'c', events: [] })).toMatchObject({ field: 'events', message: 'Expected `events` to be a non-empty array of event names, got an array' });
    expect(failure({ command: 'Subscribe', command_id: 'c', events: ['PlaybackStarted', 'SongLiked'] })).toMatchObject({
      field: 'events[1]',
      message: `Expected \`events[1]\` to be one of ${SPEC_EVENT_NAMES.join(', ')}, got "SongLiked"`,
    });
    // QualityChanged is sent to a session's connections, never broadcast: subscribing to it would wait for nothing.
    expect(failure({ command: 'Subscribe', command_id: 'c', events: ['QualityChanged'] })).toMatchObject({ field: 'events[0]' });
    expect(failure({ command: 'Unsubscribe', command_id: 'c', events: 'PlaybackStarted' })).toMatchObject({ field: 'events' });
    expect(failure({ command: 'Subscribe', command_id: 'c', events: ['TrackLiked'], filters: { user_id: 7 } })).toMatchObject({
      field: 'filters.user_id',
      message: 'Expected `filters.user_id` to be an id of 1 to 128 printable ASCII characters (no space), got number 7',
    });
    expect(failure({ command: 'Subscribe', command_id: 'c', events: ['TrackLiked'], filters: ['user_id'] })).toMatchObject({ field: 'filters' });
  });
});

describe('ids and numbers as sent (issue 9)', () => {
  test('ids follow the one rule: no control byte, no space, at most 128 characters', () => {
    expect(failure({ command: 'Play', command_id: 'c', track_id: '\u0000admin' })).toMatchObject({ field: 'track_id', message: 'Expected `track_id` to be an id of 1 to 128 printable ASCII characters (no space), got "\\u0000admin"' });
    expect(failure({ command: 'AddToPlaylist', command_id: 'c', playlist_id: 'my list', track_id: 't' })).toMatchObject({ field: 'playlist_id' });
    expect(failure({ command: 'Ping', command_id: 'x'.repeat(129) })).toMatchObject({ command_id: '', field: 'command_id' });
    expect(parse({ command: 'Subscribe', command_id: 'auth0|5f1c@example.com', events: ['TrackLiked'], filters: { user_id: 'auth0|42' } }).ok).toBe(true);
  });

  test('a number is reported as it was written, not as JavaScript prints it', () => {
    expect(failure('{"command": "Seek", "command_id": "c", "track_id": "t", "position_ms": 1e400}').message).toBe('Expected `position_ms` to be a number of milliseconds >= 0, got number 1e400');
    expect(failure('{"command": "AddToPlaylist", "command_id": "c", "playlist_id": "p", "track_id": "t", "position": 1e20}').message).toBe('Expected `position` to be an integer >= 0, got number 1e20');
    expect(failure('{"command": "Ping", "command_id": 1.50}').message).toBe('Expected `command_id` to be an id of 1 to 128 printable ASCII characters (no space), got number 1.50');
    expect(failure('{"command": "Seek", "command_id": "c", "track_id": "t", "position_ms": -5}').message).toContain('got number -5');
  });

  test('filter keys are the client\'s own: __proto__, constructor and toString are unknown filters, not a crash', () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const result = parse(`{"command": "Subscribe", "command_id": "c", "events": ["TrackLiked"], "filters": {"${key}": "x"}}`);
      expect(result.ok && Object.keys(result.command.command === 'Subscribe' ? result.command.filters ?? {} : {})).toEqual([key]);
    }
  });

  test('a quoted value is cut to 200 characters', () => {
    const long = 'x'.repeat(8000);
    expect(failure({ command: 'Play', command_id: 'c', track_id: long }).message).toBe(`Expected \`track_id\` to be an id of 1 to 128 printable ASCII characters (no space), got "${'x'.repeat(200)}"… (8000 characters)`);
  });
});

describe('toEvent', () => {
  const examples = [
    { event: 'PlaybackStarted', track_id: 'song_456', user_id: 'user_123', timestamp: 1640995200 },
    { event: 'PlaybackPaused', track_id: 't', user_id: 'u', position_ms: 1 },
    { event: 'PlaybackResumed', track_id: 't', user_id: 'u', position_ms: 1 },
    { event: 'PlaybackStopped', track_id: 't', user_id: 'u', total_played_ms: 1 },
    { event: 'PlaybackProgress', track_id: 't', user_id: 'u', position_ms: 45000, buffer_percentage: 87.5 },
    { event: 'PlaylistUpdated', playlist_id: 'p', action: 'Cleared', track_id: null, position: null },
    { event: 'PlaylistShared', playlist_id: 'p', from_user: 'a', to_users: ['b', 'c'] },
    { event: 'TrackLiked', track_id: 't', user_id: 'u', total_likes: 127 },
    { event: 'TrackShared', track_id: 't', from_user: 'a', to_users: ['b'], message: null },
    { event: 'UserFollowed', follower_id: 'a', followed_id: 'b' },
    { event: 'ServerMessage', message: 'Nouvelle fonctionnalité disponible!', level: 'Info' },
    { event: 'RateLimitWarning', remaining_requests: 3, reset_time_seconds: 2 },
    { event: 'CommandResponse', command_id: 'cmd_123', success: true, data: { track_duration_ms: 210000, quality: 'high' }, error: null },
    { event: 'LiveStats', concurrent_listeners: 1247, top_tracks: [{ track_id: 'trending_001', title: 'Summer Vibes', artist: 'DJ Sunshine', current_listeners: 89 }], server_load: 0.32 },
  ];

  test('reads every event of the spec, and refuses the server-only QualityChanged and EventsGap', () => {
    expect(examples.map((example) => example.event)).toEqual(SPEC_EVENT_NAMES);
    expect(EVENT_NAMES).toEqual([...SPEC_EVENT_NAMES, 'QualityChanged', 'EventsGap']);
    for (const example of examples) expect(toEvent(example)).toEqual(example);
    expect(() => toEvent({ event: 'QualityChanged', session_id: 's' })).toThrow(expect.objectContaining({ field: 'event' }));
    expect(() => toEvent({ event: 'EventsGap', missed: 1, reason: 'trimmed' })).toThrow(expect.objectContaining({ field: 'event' }));
  });

  test('absent Options become null, unknown fields are dropped', () => {
    expect(toEvent({ event: 'TrackShared', track_id: 't', from_user: 'a', to_users: [], extra: true })).toEqual({
      event: 'TrackShared',
      track_id: 't',
      from_user: 'a',
      to_users: [],
      message: null,
    });
  });

  test('bad events name the field, with the position in a batch', () => {
    expect(() => toEvent({ event: 'ServerMessage', message: 'x', level: 'Debug' })).toThrow('Expected `level` to be one of Info, Warning, Error, got "Debug"');
    expect(() => toEvent({ event: 'PlaylistUpdated', playlist_id: 'p', action: 'Moved' })).toThrow('Expected `action` to be one of Added, Removed, Reordered, Cleared, got "Moved"');
    expect(() => toEvent({ event: 'TrackShared', track_id: 't', from_user: 'a', to_users: ['b', 3] }, '[2].')).toThrow('Expected `[2].to_users[1]`');
    expect(() => toEvent({ event: 'LiveStats', concurrent_listeners: 1, top_tracks: [{ track_id: 't', title: 'x', artist: 'y' }], server_load: 0 })).toThrow(
      'Expected `top_tracks[0].current_listeners` to be an integer >= 0, got nothing',
    );
    expect(() => toEvent({ event: 'Nope' })).toThrow('Expected `event` to be one of PlaybackStarted,');
    expect(() => toEvent('x')).toThrow('Expected `event` to be a JSON object with an `event` field, got "x"');
  });
});

test('sniffCommandId finds the command_id of a message it does not parse', () => {
  expect(sniffCommandId(`{"command":"Ping","command_id" : "big-1","pad":"${'x'.repeat(5000)}"`)).toBe('big-1');
  expect(sniffCommandId(`{"pad":"${'x'.repeat(2000)}","command_id":"late"}`)).toBe('');
  expect(sniffCommandId(`{"command_id":"${'x'.repeat(129)}"}`)).toBe('');
  expect(sniffCommandId('{"command_id":"has space"}')).toBe('');
});
