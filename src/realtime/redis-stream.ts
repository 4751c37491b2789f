import type { Delivery } from './broker.js';
import type { Gap } from './events-gap.js';

/**
 * The layout of the shared stream, which every node reads and writes. One entry per publication:
 *   n  its number in the stream (1, 2, 3, … from a counter the publish script increments with the
 *      XADD, atomically), so that a reader knows exactly how many entries it did not see;
 *   o  the node that published it, and s its number among that node's publications;
 *   d  the Delivery as JSON, or x: how many publications node o dropped here (its buffer overflowed
 *      while Redis was unreachable).
 * The keys share one hash tag, so that the script's keys sit in one slot of a Redis Cluster.
 */
export interface StreamKeys {
  stream: string;
  /** The counter behind `n`. */
  counter: string;
  /** The last sequence number a node published (its key expires: publisherMemoryMs). */
  publisher(nodeId: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  const base = `${prefix}:{events}`;
  return { stream: base, counter: `${base}:n`, publisher: (nodeId) => `${base}:node:${nodeId}` };
}

export type StreamRecord = { n: number; origin: string; seq: number } & ({ delivery: Delivery } | { dropped: number });

/** An entry's fields as XREAD returns them (`[field, value, field, value, …]`); undefined when it is not ours. */
export function parseRecord(fields: string[]): StreamRecord | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const n = Number(map.get('n'));
  const seq = Number(map.get('s'));
  const origin = map.get('o');
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(seq) || origin === undefined) return undefined;
  const dropped = map.get('x');
  if (dropped !== undefined) return Number.isSafeInteger(Number(dropped)) ? { n, origin, seq, dropped: Number(dropped) } : undefined;
  try {
    const delivery = JSON.parse(map.get('d') ?? '') as Delivery;
    return isDelivery(delivery) ? { n, origin, seq, delivery } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a reader makes of the next entry's number, `n`, after the last one it delivered: nothing
 * when it follows; the count skipped when entries were trimmed before this node read them; an
 * unknown count when the numbers start again (Redis lost the stream and its counter).
 */
export function sequenceGap(lastN: number, n: number): Gap | undefined {
  if (n === lastN + 1) return undefined;
  if (n > lastN + 1) return { missed: n - lastN - 1, reason: 'trimmed' };
  return { missed: null, reason: 'reset' };
}


/** Whether what an entry holds has a Delivery's shape: an event's, or a session's rebuffers. */
function isDelivery(value: Delivery | null): value is Delivery {
  if (typeof value?.to !== 'string') return false;
  if (value.to !== 'rebuffers') return typeof value.event?.event === 'string';
  return typeof value.session_id === 'string' && Number.isSafeInteger(value.count) && value.count > 0 && Number.isFinite(value.added_ms) && value.added_ms >= 0;
}
