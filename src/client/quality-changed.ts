import type { QualityChanged, ServerEvent } from '../realtime/protocol.js';

export type { QualityChanged };

/**
 * The one place that knows how a quality change travels on the wire: the session's QualityChanged
 * event (sent to the session's connections and its user's, never broadcast), or undefined for any
 * other event. A QualityChanged without the session or the new quality is ignored rather than trusted.
 */
export function qualityChangeOf(event: ServerEvent): QualityChanged | undefined {
  if (event.event !== 'QualityChanged') return undefined;
  return typeof event.session_id === 'string' && typeof event.to_quality === 'string' ? event : undefined;
}
