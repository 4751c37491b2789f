import { expect, test } from 'vitest';
import { PlaybackState } from '../../../src/realtime/playback.js';
import { TokenBucket } from '../../../src/realtime/rate-limiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('position advances while playing, holds while paused, and stops at the end', () => {
  const time = clock();
  const playback = new PlaybackState(time.now);
  playback.start('t', 10_000, 1_000);
  time.advance(2_500);
  expect(playback.pause('t')).toBe(3_500);
  time.advance(60_000);
  expect(playback.snapshot()).toEqual({ track_id: 't', state: 'paused', position_ms: 3_500, duration_ms: 10_000, played_ms: 2_500 });
  expect(playback.resume('t', null)).toBe(3_500);
  time.advance(60_000);
  expect(playback.snapshot()).toMatchObject({ state: 'playing', position_ms: 10_000, played_ms: 9_000 });
  expect(playback.stop('t')).toBe(9_000);
  expect(playback.snapshot()).toBeNull();
});

test('a seek moves the position without adding played time', () => {
  const time = clock();
  const playback = new PlaybackState(time.now);
  playback.start('t', 100_000, 0);
  time.advance(1_000);
  playback.seek('t', 50_000);
  time.advance(1_000);
  expect(playback.snapshot()).toMatchObject({ position_ms: 51_000, played_ms: 2_000 });
  playback.pause('t');
  playback.seek('t', 10_000);
  expect(playback.snapshot()).toMatchObject({ state: 'paused', position_ms: 10_000 });
  expect(playback.resume('t', 20_000)).toBe(20_000);
});

test('commands that do not fit the state fail with E_PLAYBACK naming the field', () => {
  const time = clock();
  const playback = new PlaybackState(time.now);
  expect(() => playback.pause('t')).toThrow('cannot pause track t: nothing is playing on this connection');
  playback.start('t', 5_000, 0);
  expect(() => playback.stop('u')).toThrow('cannot stop track u: this connection is playing t');
  expect(() => playback.resume('t', null)).toThrow('track t is already playing; send Seek to move within it');
  expect(() => playback.seek('t', 5_001)).toThrow('position_ms 5001 is past the end of track t (5000 ms)');
  playback.pause('t');
  expect(() => playback.pause('t')).toThrow('track t is already paused');
  try {
    playback.seek('t', 9_999);
  } catch (error) {
    expect(error).toMatchObject({ code: 'E_PLAYBACK', field: 'position_ms' });
  }
  expect.assertions(6);
});

test('the token bucket allows a burst, then the refill rate, and reports the time to full', () => {
  const time = clock();
  const bucket = new TokenBucket(10, 5, time.now);
  for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
  expect(bucket.take()).toBe(false);
  expect(bucket.remaining).toBe(0);
  expect(bucket.secondsToFull).toBe(1);
  time.advance(100);
  expect(bucket.take()).toBe(true);
  expect(bucket.take()).toBe(false);
  time.advance(10_000);
  expect(bucket.remaining).toBe(5);
  expect(bucket.secondsToFull).toBe(0);
});
