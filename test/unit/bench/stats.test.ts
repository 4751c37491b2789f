import { expect, it } from 'vitest';
// @ts-expect-error: the benches are plain JavaScript, without declarations.
import { median, percentile } from '../../../bench/lib/stats.js';

it('the benches\' median is the middle value, or the mean of the two middle ones for an even count', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1])).toBe(2.5);
  expect(median([10, 2, 8, 4])).toBe(6);
  expect(() => median([])).toThrow(RangeError);
});

it('the benches\' percentile is the nearest rank, NaN for no sample', () => {
  expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  expect(percentile([], 50)).toBeNaN();
});
