import { createHash } from 'node:crypto';
import { optionError } from '../errors.js';

export interface Shard {
  /** 1-based, as CI matrices count. */
  index: number;
  count: number;
}

/** Parses `--shard i/n`. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw optionError('--shard', 'i/n with 1 <= i <= n (such as 1/4)', text);
  }
  return { index, count };
}

/**
 * Whether a track belongs to a shard. The choice hashes the track id only, so it does not depend on
 * file order or on which other tracks exist: a track stays in its shard as the catalog grows, the n
 * shards are disjoint, and together they cover every track.
 */
export function inShard(trackId: string, shard: Shard): boolean {
  const bucket = createHash('sha256').update(trackId).digest().readUInt32BE(0) % shard.count;
  return bucket === shard.index - 1;
}
