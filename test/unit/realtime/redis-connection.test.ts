import { afterEach, expect, test, vi } from 'vitest';
import { backoffMs } from '../../../src/realtime/redis-connection.js';

afterEach(() => {
  vi.restoreAllMocks();
});

test('reconnection delays double from the first up to the cap', () => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  expect([1, 2, 3, 4, 6, 7, 20].map((attempt) => backoffMs(attempt, 100, 5000))).toEqual([100, 200, 400, 800, 3200, 5000, 5000]);
});

test('jitter spreads each delay by up to 20 % either way', () => {
  vi.spyOn(Math, 'random').mockReturnValue(0);
  expect(backoffMs(3, 100, 5000)).toBe(320);
  vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
  expect(backoffMs(3, 100, 5000)).toBe(480);
});
