import type { ServerEvent } from '../realtime/protocol.js';
import { parseQualityRecommendation } from '../realtime/recommendation.js';
import type { QualityChangeReason } from '../streaming/types.js';

/**
 * A session's quality changed (the monitor's decision, the listener's choice or the player's ABR),
 * as the `QualityChanged` event of issue 10 carries it.
 */
export interface QualityChanged {
  event: 'QualityChanged';
  session_id: string;
  track_id: string;
  user_id: string | null;
  from_quality: string;
  to_quality: string;
  direction: 'up' | 'down';
  reason: QualityChangeReason;
  master_url: string;
  timestamp: number;
}

/**
 * The one place that knows how a quality change travels on the wire: the QualityChanged event, or
 * undefined for any other event.
 */
export function qualityChangeOf(event: ServerEvent): QualityChanged | undefined {
  const value = event as unknown as Partial<QualityChanged> & { event: string };
  if (value.event === 'QualityChanged') {
    return typeof value.session_id === 'string' && typeof value.to_quality === 'string' ? (value as QualityChanged) : undefined;
  }
  // TEMPORARY (until issue 10 is merged; then delete this branch and its import): today's server
  // sends the monitor's recommendation as a ServerMessage `quality_recommendation {...}`, which has
  // no direction, master URL nor time: those three are placeholders here.
  if (event.event === 'ServerMessage') {
    const recommendation = parseQualityRecommendation(event);
    if (!recommendation) return undefined;
    return {
      event: 'QualityChanged',
      session_id: recommendation.session_id,
      track_id: recommendation.track_id,
      user_id: recommendation.user_id ?? null,
      from_quality: recommendation.from,
      to_quality: recommendation.to,
      direction: 'down',
      reason: recommendation.reason as QualityChangeReason,
      master_url: '',
      timestamp: Date.now(),
    };
  }
  return undefined;
}
