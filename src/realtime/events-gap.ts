import type { ServerMessage } from './protocol.js';

/**
 * Events this connection may have missed. With several `serve` nodes sharing events through Redis, a
 * node that cannot read part of the shared stream (it fell behind further than the stream keeps,
 * Redis restarted without its data, or another node dropped publications it could not send) tells
 * every one of its connections, rather than losing events silently. None of the spec's 14 events
 * says that, so it travels as a `ServerMessage` (level Warning) whose message is a fixed keyword and
 * the gap as JSON, as quality recommendations do; the typed client parses it (`onGap`).
 * No Node imports: the browser client uses this module.
 */
export interface EventsGap {
  /** How many events were missed, or null when nobody can know (Redis lost its data). */
  missed: number | null;
  /**
   * `trimmed`: this node fell further behind than the stream keeps; `reset`: Redis restarted without
   * its data; `dropped`: another node could not reach Redis for longer than its buffer holds.
   */
  reason: 'trimmed' | 'reset' | 'dropped';
}

export const EVENTS_GAP_PREFIX = 'events_gap ';

export function gapMessage(gap: EventsGap): ServerMessage {
  return { event: 'ServerMessage', message: `${EVENTS_GAP_PREFIX}${JSON.stringify({ missed: gap.missed, reason: gap.reason })}`, level: 'Warning' };
}

/** The gap a ServerMessage announces, or undefined for any other message. */
export function parseEventsGap(event: ServerMessage): EventsGap | undefined {
  if (!event.message.startsWith(EVENTS_GAP_PREFIX)) return undefined;
  try {
    const value = JSON.parse(event.message.slice(EVENTS_GAP_PREFIX.length)) as EventsGap;
    const countOk = value.missed === null || (Number.isInteger(value.missed) && value.missed > 0);
    return countOk && ['trimmed', 'reset', 'dropped'].includes(value.reason) ? value : undefined;
  } catch {
    return undefined;
  }
}
