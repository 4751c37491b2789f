import { describe, expect, it } from 'vitest';
import { parseRecord, sequenceGap, streamKeys } from '../../../src/realtime/redis-stream.js';

describe('the shared stream layout', () => {
  it('keeps every key in one Redis Cluster slot (one hash tag)', () => {
    const keys = streamKeys('hlsaudio');
    expect([keys.stream, keys.counter, keys.publisher('node-1')]).toEqual(['hlsaudio:{events}', 'hlsaudio:{events}:n', 'hlsaudio:{events}:node:node-1']);
  });

  it('reads an entry of a publication and an entry of dropped publications', () => {
    const delivery = { to: 'user', user_id: 'ana', event: { event: 'ServerMessage', message: 'hi', level: 'Info' } };
    expect(parseRecord(['n', '7', 'o', 'node-1', 's', '3', 'd', JSON.stringify(delivery)])).toEqual({ n: 7, origin: 'node-1', seq: 3, delivery });
    expect(parseRecord(['n', '8', 'o', 'node-1', 's', '4', 'x', '12'])).toEqual({ n: 8, origin: 'node-1', seq: 4, dropped: 12 });
  });

  it('refuses entries that are not ours rather than delivering them', () => {
    expect(parseRecord(['hello', 'world'])).toBeUndefined();
    expect(parseRecord(['n', '0', 'o', 'x', 's', '1', 'd', '{}'])).toBeUndefined();
    expect(parseRecord(['n', '1', 'o', 'x', 's', '1', 'd', 'not json'])).toBeUndefined();
    expect(parseRecord(['n', '1', 'o', 'x', 's', '1', 'd', '{"to": "all"}'])).toBeUndefined();
  });

  it('counts the entries a reader did not see from their numbers', () => {
    expect(sequenceGap(41, 42)).toBeUndefined();
    expect(sequenceGap(41, 50)).toEqual({ missed: 8, reason: 'trimmed' });
    expect(sequenceGap(0, 1)).toBeUndefined();
    // Numbers starting again: Redis lost the stream and its counter.
    expect(sequenceGap(41, 1)).toEqual({ missed: null, reason: 'reset' });
    expect(sequenceGap(41, 41)).toEqual({ missed: null, reason: 'reset' });
  });
});
