import { expect, it } from 'vitest';
// @ts-expect-error: the benches are plain JavaScript, without declarations.
import { median } from '../../../bench/lib/median.js';

it('the benches\' median is the middle value, or the mean of the two middle ones for an even count', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1])).toBe(2.5);
  expect(median([10, 2, 8, 4])).toBe(6);
  expect(() => median([])).toThrow(RangeError);
});
