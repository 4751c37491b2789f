import { describe, expect, it } from 'vitest';
import { Coverage } from '../../../src/analytics/coverage.js';
import { creditedListeningMs } from '../../../src/analytics/listened-time.js';

const rules = { maxPlaybackRate: 2, progressJitterMs: 1000 };

describe('creditedListeningMs', () => {
  it('counts a forward move that playback could have made', () => {
    expect(creditedListeningMs(10_000, 12_000, 2000, rules)).toBe(2000);
    expect(creditedListeningMs(10_000, 15_000, 2000, rules)).toBe(5000); // 2 s x 2 + 1 s: the limit itself
  });

  it('counts reports that arrive bunched within the jitter allowance', () => {
    expect(creditedListeningMs(0, 2000, 500, rules)).toBe(2000); // 0.5 s x 2 + 1 s = 2 s
    expect(creditedListeningMs(0, 2001, 500, rules)).toBe(0);
  });

  it('counts nothing for a seek forward, even one that also played a little', () => {
    expect(creditedListeningMs(10_000, 70_000, 2000, rules)).toBe(0);
    expect(creditedListeningMs(10_000, 15_001, 2000, rules)).toBe(0);
  });

  it('counts nothing for no move (paused, stalled) or a move back (seek back)', () => {
    expect(creditedListeningMs(10_000, 10_000, 5000, rules)).toBe(0);
    expect(creditedListeningMs(10_000, 4000, 2000, rules)).toBe(0);
  });

  it('treats a clock that went back as no time elapsed', () => {
    expect(creditedListeningMs(0, 1000, -5000, rules)).toBe(1000);
    expect(creditedListeningMs(0, 1001, -5000, rules)).toBe(0);
  });
});

describe('Coverage', () => {
  it('merges overlapping and touching ranges and counts each millisecond once', () => {
    const coverage = new Coverage();
    coverage.add(0, 10_000);
    coverage.add(5000, 20_000);
    coverage.add(30_000, 40_000);
    coverage.add(20_000, 25_000);
    expect(coverage.toJson()).toBe('[[0,25000],[30000,40000]]');
    expect(coverage.totalMs).toBe(35_000);
  });

  it('keeps ranges sorted when one lands before, between or over others', () => {
    const coverage = new Coverage();
    coverage.add(50, 60);
    coverage.add(10, 20);
    coverage.add(30, 40);
    expect(coverage.toJson()).toBe('[[10,20],[30,40],[50,60]]');
    coverage.add(15, 55);
    expect(coverage.toJson()).toBe('[[10,60]]');
    coverage.add(70, 70);
    expect(coverage.totalMs).toBe(50);
  });

  it('reads back what it wrote', () => {
    const coverage = new Coverage();
    coverage.add(1000, 2000);
    coverage.add(4000, 8000);
    expect(Coverage.fromJson(coverage.toJson()).toJson()).toBe('[[1000,2000],[4000,8000]]');
  });
});
