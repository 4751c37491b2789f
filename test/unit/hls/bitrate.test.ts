import { describe, expect, it } from 'vitest';
import { averageBitrate, peakSegmentBitrate } from '../../../src/hls/bitrate.js';

describe('averageBitrate', () => {
  it('divides all bits by all seconds, rounding up', () => {
    expect(averageBitrate([{ length: 1000, durationSec: 1 }, { length: 2000, durationSec: 2 }])).toBe(8000);
    expect(averageBitrate([{ length: 1, durationSec: 3 }])).toBe(3);
    expect(averageBitrate([])).toBe(0);
  });
});

describe('peakSegmentBitrate (RFC 8216 section 4.1)', () => {
  it('takes the best run lasting 0.5 to 1.5 target durations', () => {
    const segments = [
      { length: 6000, durationSec: 6 }, // 8000 bps
      { length: 9000, durationSec: 6 }, // 12000 bps
      { length: 3000, durationSec: 2 }, // 12000 bps alone but only 2 s (< 3 s)
    ];
    // Runs: [0] 8000, [1] 12000, [1,2] 12000 over 8 s, [0,1] 12 s > 9 s: not a run.
    expect(peakSegmentBitrate(segments, 6)).toBe(12000);
  });

  it('lets a short dense segment count only together with a neighbour', () => {
    const segments = [
      { length: 6000, durationSec: 6 },
      { length: 5000, durationSec: 1 }, // 40000 bps alone, too short
    ];
    expect(peakSegmentBitrate(segments, 6)).toBe(Math.ceil((11000 * 8) / 7));
  });

  it('falls back to the average when no run is long enough', () => {
    expect(peakSegmentBitrate([{ length: 100, durationSec: 1 }], 6)).toBe(800);
  });
});
