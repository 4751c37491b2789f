import { expect, test } from 'vitest';
import { backoffDelay } from '../../../src/client/backoff.js';

const policy = { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000, jitter: 0.2 };

test('grows exponentially up to the cap', () => {
  const middle = () => 0.5;
  expect([0, 1, 2, 3, 6, 7, 20].map((attempt) => backoffDelay(attempt, policy, middle))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
});

test('jitter spreads each delay by up to its share either way', () => {
  expect(backoffDelay(1, policy, () => 0)).toBe(800);
  expect(backoffDelay(1, policy, () => 1)).toBe(1200);
  expect(backoffDelay(1, { ...policy, jitter: 0 }, () => 0)).toBe(1000);
});
