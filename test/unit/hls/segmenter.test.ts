import { describe, expect, it } from 'vitest';
import { type FrameSpan, planSegments } from '../../../src/hls/segmenter.js';

function frames(count: number, samples: number, length = 100): FrameSpan[] {
  return Array.from({ length: count }, (_, i) => ({ offset: 50 + i * length, length, samples }));
}

const SIX = { segmentDurationSec: 6, tailMergeMaxSec: 0.5 };

describe('planSegments', () => {
  it('cuts AAC at 44.1 kHz at the frame start nearest to each multiple of 6 s', () => {
    // 20 s of 1024-sample frames: 6 s = 258.4 frames, so boundaries at frames 258, 517 and 775.
    const plan = planSegments(frames(862, 1024), 44100, SIX);
    expect(plan.segments.map((s) => s.firstFrame)).toEqual([0, 258, 517, 775]);
    expect(plan.segments.map((s) => s.frameCount)).toEqual([258, 259, 258, 87]);
    expect(plan.totalSamples).toBe(862 * 1024);
    expect(plan.maxBoundaryDriftSamples).toBe(Math.max(Math.abs(258 * 1024 - 264600), Math.abs(517 * 1024 - 529200), Math.abs(775 * 1024 - 793800)));
    expect(plan.maxBoundaryDriftSamples).toBeLessThanOrEqual(512);
  });

  it('keeps segments contiguous and covering every frame byte', () => {
    const plan = planSegments(frames(700, 576, 417), 22050, SIX);
    let expected = 50;
    for (const segment of plan.segments) {
      expect(segment.esOffset).toBe(expected);
      expected += segment.esLength;
    }
    expect(expected).toBe(50 + 700 * 417);
    expect(plan.segments.reduce((n, s) => n + s.frameCount, 0)).toBe(700);
  });

  it('merges a last segment shorter than 0.5 s into the one before it', () => {
    // 12.2 s at 1152-sample frames: a 0.2 s tail.
    const count = Math.round((12.2 * 44100) / 1152);
    const plan = planSegments(frames(count, 1152), 44100, SIX);
    expect(plan.segments).toHaveLength(2);
    expect(plan.segments[1]!.samples / 44100).toBeGreaterThan(6.1);
    expect(plan.segments[1]!.samples / 44100).toBeLessThan(6.5);
  });

  it('keeps a tail of 0.5 s or more as its own segment, and a clip shorter than one segment whole', () => {
    expect(planSegments(frames(Math.round((12.6 * 44100) / 1024), 1024), 44100, SIX).segments).toHaveLength(3);
    const clip = planSegments(frames(10, 1024), 44100, SIX);
    expect(clip.segments).toEqual([{ firstFrame: 0, frameCount: 10, startSample: 0, samples: 10240, esOffset: 50, esLength: 1000 }]);
  });

  it('does not merge when tail merging is off', () => {
    const count = Math.round((12.2 * 44100) / 1152);
    expect(planSegments(frames(count, 1152), 44100, { segmentDurationSec: 6, tailMergeMaxSec: 0 }).segments).toHaveLength(3);
  });

  it('refuses frames that do not follow each other', () => {
    const gap = frames(3, 1024);
    gap[2] = { ...gap[2]!, offset: gap[2]!.offset + 1 };
    expect(() => planSegments(gap, 44100, SIX)).toThrow('frame 2 at byte 251 does not follow the frame before it');
  });
});
