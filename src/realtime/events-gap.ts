import type { EventsGap } from './protocol.js';

/**
 * Events a node's connections may have missed. With several `serve` nodes sharing events through
 * Redis, a node that cannot read part of the shared stream (it fell behind further than the stream
 * keeps, Redis restarted without its data, another Redis server took over, or another node dropped
 * publications it could not send)
 * tells every one of its connections with an `EventsGap` event, rather than losing events silently.
 * No Node imports: the browser client uses this module.
 */
export type Gap = Omit<EventsGap, 'event'>;

export function gapEvent(gap: Gap): EventsGap {
  return { event: 'EventsGap', missed: gap.missed, reason: gap.reason };
}

/** One readable sentence for a gap (the node's log, the player's events panel). */
export function describeGap(gap: Gap): string {
  switch (gap.reason) {
    case 'trimmed':
      return `${gap.missed} events were trimmed from the shared stream before this node read them`;
    case 'reset':
      return 'Redis lost the shared stream (restarted without its data): events published before may be lost';
    case 'dropped':
      return `another node dropped ${gap.missed} events it could not send to Redis`;
    case 'failover':
      return 'another Redis server took over the shared stream (failover): events published just before may be lost';
  }
}
