import { HlsaudioError } from '../errors.js';
/** What the segmenter needs of a frame: its place in the elementary stream and its length in samples. */
export interface FrameSpan {
  offset: number;
  length: number;
  samples: number;
}

/** One planned segment: a run of whole frames. */
export interface PlannedSegment {
  firstFrame: number;
  frameCount: number;
  /** First sample of the segment, counted from the first audio frame. */
  startSample: number;
  samples: number;
  /** The frames' bytes in the elementary stream (frames of a segment are contiguous). */
  esOffset: number;
  esLength: number;
}

export interface SegmentPlan {
  segments: PlannedSegment[];
  totalSamples: number;
  /** Largest distance between a segment boundary and its nominal time k x target, in samples. */
  maxBoundaryDriftSamples: number;
}

export interface SegmenterOptions {
  segmentDurationSec: number;
  /**
   * Samples before the presentation starts (an fMP4 edit list's priming): boundary k is then
   * nearest to this + k x target, so segments line up with the presented audio. 0 for packed audio.
   */
  presentationOffsetSamples?: number;
  /** A last segment shorter than this joins the one before it when the result still rounds to the target. */
  tailMergeMaxSec: number;
}

/**
 * Cuts a stream of frames into segments on frame boundaries. Boundary k is the frame start nearest to
 * k x target duration, so boundaries never drift by more than half a frame and variants whose frames
 * differ (1024/44100, 1024/22050, 576/22050 s) stay as close to aligned as their frames allow; every
 * segment lasts the target give or take one frame, which rounds to the target (RFC 8216 4.3.3.1).
 */
export function planSegments(frames: readonly FrameSpan[], sampleRate: number, options: SegmenterOptions): SegmentPlan {
  const target = options.segmentDurationSec * sampleRate;
  const presentationStart = options.presentationOffsetSamples ?? 0;
  const segments: PlannedSegment[] = [];
  let start = 0; // sample at which the current frame starts
  let nextBoundary = 1;
  let maxDrift = 0;
  let current: PlannedSegment | undefined;
  frames.forEach((frame, index) => {
    const nominal = presentationStart + nextBoundary * target;
    const cutHere = current !== undefined && start >= nominal - frame.samples / 2;
    if (cutHere) {
      maxDrift = Math.max(maxDrift, Math.abs(start - nominal));
      nextBoundary++;
    }
    if (!current || cutHere) {
      current = { firstFrame: index, frameCount: 0, startSample: start, samples: 0, esOffset: frame.offset, esLength: 0 };
      segments.push(current);
    }
    if (frame.offset !== current.esOffset + current.esLength) {
      throw new HlsaudioError('E_BITSTREAM', `frame ${index} at byte ${frame.offset} does not follow the frame before it`);
    }
    current.frameCount++;
    current.samples += frame.samples;
    current.esLength += frame.length;
    start += frame.samples;
  });
  mergeShortTail(segments, sampleRate, options);
  return { segments, totalSamples: start, maxBoundaryDriftSamples: maxDrift };
}

function mergeShortTail(segments: PlannedSegment[], sampleRate: number, options: SegmenterOptions): void {
  const last = segments.at(-1);
  const previous = segments.at(-2);
  if (!last || !previous) return;
  const merged = (previous.samples + last.samples) / sampleRate;
  if (last.samples / sampleRate < options.tailMergeMaxSec && merged < Math.round(options.segmentDurationSec) + 0.5) {
    previous.frameCount += last.frameCount;
    previous.samples += last.samples;
    previous.esLength += last.esLength;
    segments.pop();
  }
}
