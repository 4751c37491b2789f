/** A segment as the bit-rate measures see it: its size (container overhead included) and duration. */
export interface SizedSegment {
  length: number;
  durationSec: number;
}

/** Average bit rate of the whole playlist, bits per second, rounded up. */
export function averageBitrate(segments: readonly SizedSegment[]): number {
  const bytes = segments.reduce((sum, segment) => sum + segment.length, 0);
  const seconds = segments.reduce((sum, segment) => sum + segment.durationSec, 0);
  return seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
}

/**
 * Peak segment bit rate (RFC 8216 section 4.1): the largest bit rate of any run of contiguous
 * segments lasting 0.5 to 1.5 times the target duration, bits per second, rounded up. A playlist too
 * short for any such run (a single clip shorter than half the target) takes its whole average.
 */
export function peakSegmentBitrate(segments: readonly SizedSegment[], targetDurationSec: number): number {
  const shortest = 0.5 * targetDurationSec;
  const longest = 1.5 * targetDurationSec;
  let peak = 0;
  for (let first = 0; first < segments.length; first++) {
    let bytes = 0;
    let seconds = 0;
    for (let last = first; last < segments.length; last++) {
      bytes += segments[last]!.length;
      seconds += segments[last]!.durationSec;
      if (seconds > longest) break;
      if (seconds >= shortest) peak = Math.max(peak, (bytes * 8) / seconds);
    }
  }
  return peak > 0 ? Math.ceil(peak) : averageBitrate(segments);
}
