import { describe, expect, it } from 'vitest';
import { PublishQueue } from '../../../src/realtime/redis-publish-queue.js';

const view = (queue: PublishQueue) => queue.take(Number.MAX_SAFE_INTEGER).map(({ seq, field, value }) => `${seq}${field}${value}`);

describe('PublishQueue', () => {
  it('keeps publications in order with increasing sequence numbers', () => {
    const queue = new PublishQueue(10);
    for (const value of ['a', 'b', 'c']) queue.push(value);
    expect(view(queue)).toEqual(['1da', '2db', '3dc']);
    queue.acknowledge(2);
    expect(queue.size).toBe(1);
    queue.push('d');
    expect(view(queue)).toEqual(['3dc', '4dd']);
  });

  it('beyond its bound turns the oldest publication into a marker counting what was dropped, in place', () => {
    const queue = new PublishQueue(3);
    for (const value of ['a', 'b', 'c', 'd', 'e', 'f']) queue.push(value);
    // a to d became one marker (seq 1, 4 dropped), which takes a place; order and sequence numbers hold.
    expect(view(queue)).toEqual(['1x4', '5de', '6df']);
    expect(queue.dropped).toBe(4);
  });

  it('never changes or drops a publication already sent: Redis may hold it', () => {
    const queue = new PublishQueue(3);
    queue.push('a');
    queue.push('b');
    expect(queue.take(2)).toHaveLength(2);
    for (const value of ['c', 'd', 'e']) queue.push(value);
    // a and b were sent (their batch failed, say): they stay; c became the marker, d and e joined it.
    expect(view(queue)).toEqual(['1da', '2db', '3x3']);
    expect(queue.dropped).toBe(3);
  });
});
