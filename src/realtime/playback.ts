import { HlsaudioError } from '../errors.js';

/**
 * What one connection is playing, as its Play, Pause, Seek and Stop commands say. A connection is a
 * player: one track at a time. The position advances with the clock while playing and stops at the
 * end of the track; `played_ms` counts time spent playing, so a seek does not add to it.
 */
export interface PlaybackSnapshot {
  track_id: string;
  state: 'playing' | 'paused';
  position_ms: number;
  duration_ms: number;
  played_ms: number;
}

interface Current {
  trackId: string;
  durationMs: number;
  playing: boolean;
  /** Position at `anchorAt`. */
  positionMs: number;
  anchorAt: number;
  /** Time played before `anchorAt`. */
  playedMs: number;
}

export class PlaybackState {
  private current: Current | undefined;

  constructor(private readonly now: () => number) {}

  get trackId(): string | undefined {
    return this.current?.trackId;
  }

  get isPlaying(): boolean {
    return this.current?.playing ?? false;
  }

  /** Starts `trackId` at `positionMs` (the caller stopped any other track first). */
  start(trackId: string, durationMs: number, positionMs: number): void {
    checkPosition('start_position_ms', positionMs, trackId, durationMs);
    this.current = { trackId, durationMs, playing: true, positionMs, anchorAt: this.now(), playedMs: 0 };
  }

  /** Resumes the paused track, at `positionMs` when given; returns the position. */
  resume(trackId: string, positionMs: number | null): number {
    const current = this.expect(trackId, 'resume');
    if (current.playing) throw new HlsaudioError('E_PLAYBACK', `track ${trackId} is already playing; send Seek to move within it`, { field: 'track_id' });
    if (positionMs !== null) {
      checkPosition('start_position_ms', positionMs, trackId, current.durationMs);
      current.positionMs = positionMs;
    }
    current.playing = true;
    current.anchorAt = this.now();
    return current.positionMs;
  }

  /** Pauses; returns the position reached. */
  pause(trackId: string): number {
    const current = this.expect(trackId, 'pause');
    if (!current.playing) throw new HlsaudioError('E_PLAYBACK', `track ${trackId} is already paused`, { field: 'track_id' });
    this.settle(current);
    current.playing = false;
    return current.positionMs;
  }

  /** Moves to `positionMs`, playing or paused as before. */
  seek(trackId: string, positionMs: number): void {
    const current = this.expect(trackId, 'seek in');
    checkPosition('position_ms', positionMs, trackId, current.durationMs);
    this.settle(current);
    current.positionMs = positionMs;
  }

  /** Ends playback; returns the time played. */
  stop(trackId: string): number {
    const current = this.expect(trackId, 'stop');
    this.settle(current);
    this.current = undefined;
    return current.playedMs;
  }

  snapshot(): PlaybackSnapshot | null {
    const current = this.current;
    if (!current) return null;
    const elapsed = current.playing ? this.elapsed(current) : 0;
    return {
      track_id: current.trackId,
      state: current.playing ? 'playing' : 'paused',
      position_ms: current.positionMs + elapsed,
      duration_ms: current.durationMs,
      played_ms: current.playedMs + elapsed,
    };
  }

  /** Folds the time played since the anchor into the position and the total. */
  private settle(current: Current): void {
    if (current.playing) {
      const elapsed = this.elapsed(current);
      current.positionMs += elapsed;
      current.playedMs += elapsed;
    }
    current.anchorAt = this.now();
  }

  private elapsed(current: Current): number {
    return Math.max(0, Math.min(Math.round(this.now() - current.anchorAt), current.durationMs - current.positionMs));
  }

  private expect(trackId: string, verb: string): Current {
    const current = this.current;
    if (!current) throw new HlsaudioError('E_PLAYBACK', `cannot ${verb} track ${trackId}: nothing is playing on this connection`, { field: 'track_id' });
    if (current.trackId !== trackId) {
      throw new HlsaudioError('E_PLAYBACK', `cannot ${verb} track ${trackId}: this connection is playing ${current.trackId}`, { field: 'track_id' });
    }
    return current;
  }
}

function checkPosition(field: string, positionMs: number, trackId: string, durationMs: number): void {
  if (positionMs > durationMs) {
    throw new HlsaudioError('E_PLAYBACK', `${field} ${positionMs} is past the end of track ${trackId} (${durationMs} ms)`, { field });
  }
}
