import { describe, expect, it } from 'vitest';
import { RangeCache } from '../../../src/serve/range-cache.js';

describe('RangeCache', () => {
  it('keeps at most maxBytes, dropping the least recently used first', () => {
    const cache = new RangeCache(10, 6);
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', Buffer.alloc(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 8 });
  });

  it('does not keep entries over maxEntryBytes, and keeps nothing when disabled', () => {
    const cache = new RangeCache(100, 6);
    expect(cache.accepts(7)).toBe(false);
    cache.set('big', Buffer.alloc(7));
    expect(cache.get('big')).toBeUndefined();
    expect(new RangeCache(0, 6).accepts(1)).toBe(false);
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new RangeCache(10, 10);
    cache.set('a', Buffer.alloc(6));
    cache.set('a', Buffer.alloc(6));
    expect(cache.size).toEqual({ entries: 1, bytes: 6 });
  });
});
