import type { ServerMessage } from './protocol.js';

/**
 * A quality switch the streaming manager's monitor recommends for one session. None of the spec's 14
 * events is about quality, so it travels as a `ServerMessage` (level Info) whose message is a fixed
 * keyword and the recommendation as JSON: readable in a log, and parsed back by the typed client.
 * No Node imports: the browser client uses this module.
 */
export interface QualityRecommendation {
  session_id: string;
  user_id?: string | null;
  track_id: string;
  from: string;
  to: string;
  reason: string;
}

export const RECOMMENDATION_PREFIX = 'quality_recommendation ';

export function recommendationMessage(recommendation: QualityRecommendation): ServerMessage {
  const { session_id, track_id, from, to, reason } = recommendation;
  return { event: 'ServerMessage', message: `${RECOMMENDATION_PREFIX}${JSON.stringify({ session_id, track_id, from, to, reason })}`, level: 'Info' };
}

/** The recommendation a ServerMessage carries, or undefined for any other message. */
export function parseQualityRecommendation(event: ServerMessage): QualityRecommendation | undefined {
  if (!event.message.startsWith(RECOMMENDATION_PREFIX)) return undefined;
  try {
    const value = JSON.parse(event.message.slice(RECOMMENDATION_PREFIX.length)) as QualityRecommendation;
    return typeof value.session_id === 'string' && typeof value.to === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
