import { describe, expect, it } from 'vitest';
import { RangeCache } from '../../../src/serve/range-cache.js';

describe('RangeCache', () => {
  it('keeps at most maxBytes, dropping the least recently used first', () => {
    const cache = new RangeCache(10, 6);
    cache.set('f', 0, Buffer.alloc(4));
    cache.set('f', 10, Buffer.alloc(4));
    expect(cache.get('f', 0, 3)).toBeDefined(); // 0-3 is now the most recent
    cache.set('g', 0, Buffer.alloc(4));
    expect(cache.get('f', 10, 13)).toBeUndefined();
    expect(cache.get('f', 0, 3)).toBeDefined();
    expect(cache.get('g', 0, 3)).toBeDefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 8 });
  });

  it('answers only the range it keeps: same file, same first byte, same length', () => {
    const cache = new RangeCache(100, 10);
    cache.set('f', 5, Buffer.from('abcd'));
    expect(cache.get('f', 5, 8)?.toString()).toBe('abcd');
    expect(cache.get('f', 5, 9)).toBeUndefined();
    expect(cache.get('f', 5, 7)).toBeUndefined();
    expect(cache.get('f', 6, 9)).toBeUndefined();
    expect(cache.get('f2', 5, 8)).toBeUndefined();
  });

  it('does not keep entries over maxEntryBytes, and keeps nothing when disabled', () => {
    const cache = new RangeCache(100, 6);
    expect(cache.accepts(7)).toBe(false);
    cache.set('f', 0, Buffer.alloc(7));
    expect(cache.get('f', 0, 6)).toBeUndefined();
    expect(new RangeCache(0, 6).accepts(1)).toBe(false);
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new RangeCache(10, 10);
    cache.set('f', 0, Buffer.alloc(6));
    cache.set('f', 0, Buffer.alloc(6));
    expect(cache.size).toEqual({ entries: 1, bytes: 6 });
    cache.set('f', 0, Buffer.alloc(3));
    expect(cache.size).toEqual({ entries: 1, bytes: 3 });
  });
});
