import { describe, expect, it } from 'vitest';
import { gapMessage, parseEventsGap } from '../../../src/realtime/events-gap.js';

describe('events_gap', () => {
  it('travels as a ServerMessage Warning with a fixed keyword and JSON, and reads back', () => {
    const message = gapMessage({ missed: 12, reason: 'trimmed' });
    expect(message).toEqual({ event: 'ServerMessage', message: 'events_gap {"missed":12,"reason":"trimmed"}', level: 'Warning' });
    expect(parseEventsGap(message)).toEqual({ missed: 12, reason: 'trimmed' });
    expect(parseEventsGap(gapMessage({ missed: null, reason: 'reset' }))).toEqual({ missed: null, reason: 'reset' });
  });

  it('is not read into other messages', () => {
    for (const message of ['hello', 'events_gap', 'events_gap {', 'events_gap {"missed": -1, "reason": "trimmed"}', 'events_gap {"missed": 1, "reason": "other"}']) {
      expect(parseEventsGap({ event: 'ServerMessage', message, level: 'Warning' })).toBeUndefined();
    }
  });
});
