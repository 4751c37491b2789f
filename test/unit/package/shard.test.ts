import { describe, expect, it } from 'vitest';
import { inShard, parseShard } from '../../../src/package/shard.js';

const ids = Array.from({ length: 400 }, (_, i) => `track-${i}`);

describe('shards', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '1', 'a/b', '-1/2']) {
      expect(() => parseShard(bad)).toThrow(`Expected \`--shard\` to be i/n with 1 <= i <= n (such as 1/4), got "${bad}"`);
    }
  });

  it('splits ids into disjoint shards whose union is the whole, fairly', () => {
    const shards = [1, 2, 3].map((index) => ids.filter((id) => inShard(id, { index, count: 3 })));
    expect(shards.flat().sort()).toEqual([...ids].sort());
    expect(new Set(shards.flat()).size).toBe(ids.length);
    for (const shard of shards) expect(shard.length).toBeGreaterThan(100);
  });

  it('depends on the id only: the same id lands in the same shard whatever the other tracks', () => {
    const alone = [1, 2, 3, 4].find((index) => inShard('my-song', { index, count: 4 }));
    expect([1, 2, 3, 4].filter((index) => inShard('my-song', { index, count: 4 }))).toEqual([alone]);
  });
});
