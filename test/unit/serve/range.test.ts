import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/serve/range.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-199', { start: 100, end: 199 }],
    ['bytes=900-', { start: 900, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['BYTES=0-0', { start: 0, end: 0 }],
    ['bytes=999-999', { start: 999, end: 999 }],
  ])('%s of 1000 bytes is %o', (header, range) => {
    expect(parseRange(header, 1000)).toEqual(range);
  });

  it.each(['bytes=1000-', 'bytes=1000-1001', 'bytes=-0', 'bytes=99999999999999999999-'])('%s of 1000 bytes is unsatisfiable', (header) => {
    expect(parseRange(header, 1000)).toBe('unsatisfiable');
  });

  it('finds every range of an empty file unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-10', 0)).toBe('unsatisfiable');
  });

  it.each([undefined, 'bytes=5-3', 'bytes=-', 'items=0-9', 'bytes=0-9,20-29', 'bytes=a-b', 'bytes 0-9'])('ignores %s (the whole file is sent)', (header) => {
    expect(parseRange(header, 1000)).toBeUndefined();
  });
});
