import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../../src/client/describe-event.js';
import { gapEvent } from '../../../src/realtime/events-gap.js';
import { audienceOf } from '../../../src/realtime/audience.js';
import { EVENT_NAMES, SPEC_EVENT_NAMES } from '../../../src/realtime/protocol.js';

describe('EventsGap', () => {
  it('is an hlsaudio event of its own, beside the spec\'s 14, which no client may subscribe to or publish', () => {
    expect(gapEvent({ missed: 12, reason: 'trimmed' })).toEqual({ event: 'EventsGap', missed: 12, reason: 'trimmed' });
    expect(EVENT_NAMES).toContain('EventsGap');
    expect(SPEC_EVENT_NAMES).not.toContain('EventsGap');
    expect(audienceOf(gapEvent({ missed: null, reason: 'reset' }))).toBeNull();
  });

  it('reads as a sentence in the events panel', () => {
    expect(describeEvent(gapEvent({ missed: 12, reason: 'trimmed' }))).toBe('Events missed: 12 events were trimmed from the shared stream before this node read them; what the page shows may be out of date');
    expect(describeEvent(gapEvent({ missed: null, reason: 'reset' }))).toMatch(/^Events missed: Redis lost the shared stream/);
    expect(describeEvent(gapEvent({ missed: 3, reason: 'dropped' }))).toMatch(/^Events missed: another node dropped 3 events/);
  });
});
