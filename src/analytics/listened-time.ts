/** The two limits of the listened-time rule (analyticsDefaults.maxPlaybackRate, progressJitterMs). */
export interface ProgressRules {
  maxPlaybackRate: number;
  progressJitterMs: number;
}

/**
 * The listening a progress report stands for. Players report a position, not what was heard, and a
 * seek looks like playback that went very fast: so a forward move counts in full when playback could
 * have covered it in the time since the previous report (at up to maxPlaybackRate, plus
 * progressJitterMs for reports that arrive late or bunched), and not at all otherwise (a seek: the
 * new position is only the start of what follows). A move back (a seek back, a replay) or no move
 * (paused, stalled) counts nothing. So a seek forward never adds listening, and a report that
 * carries a seek and some playback loses at most that one report's playback.
 */
export function creditedListeningMs(fromPositionMs: number, toPositionMs: number, elapsedMs: number, rules: ProgressRules): number {
  const moved = toPositionMs - fromPositionMs;
  if (moved <= 0) return 0;
  const playable = Math.max(0, elapsedMs) * rules.maxPlaybackRate + rules.progressJitterMs;
  return moved <= playable ? moved : 0;
}
