'use client';
import { type ChangeEvent, useEffect, useRef, useState } from 'react';
import { describeEvent } from '../client/describe-event.js';
import { type AdaptiveStreamingOptions } from './streaming-store.js';
import { useAdaptiveStreaming } from './use-adaptive-streaming.js';

export interface AdaptiveAudioPlayerProps extends AdaptiveStreamingOptions {
  /** A track of the served catalog. */
  trackId: string;
  /** Events shown in the log (default 5; 0 hides the log). */
  eventsShown?: number;
  className?: string;
}

function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * The specification's `<AdaptiveAudioPlayer trackId=… />`, done right: Play makes the session and
 * plays (a click, so the browser allows sound); the server follows the element (Play, Pause, a
 * `Seek` when the listener seeks and every 5 s as progress, never on each timeupdate); the quality
 * shown is the one really playing; the listener may force any variant or go back to Auto.
 */
export function AdaptiveAudioPlayer({ trackId, eventsShown = 5, className, ...options }: AdaptiveAudioPlayerProps) {
  const streaming = useAdaptiveStreaming(options);
  const { track, isPlaying, position, duration, currentQuality, isAdaptive, mode, connectionStatus, bufferHealth, error, events } = streaming;
  // While the listener drags the slider, it shows where they are, not where the audio is.
  const [dragging, setDragging] = useState<number | undefined>(undefined);
  const loaded = track?.id === trackId;
  // A new trackId while another plays: play the new one.
  const previous = useRef(trackId);
  useEffect(() => {
    if (previous.current !== trackId && loaded === false && track !== undefined) void streaming.play(trackId);
    previous.current = trackId;
  }, [trackId, loaded, track, streaming]);

  const onQuality = (event: ChangeEvent<HTMLSelectElement>) => streaming.setQuality(event.target.value);
  const onSeekInput = (event: ChangeEvent<HTMLInputElement>) => setDragging(Number(event.target.value));
  const commitSeek = () => {
    if (dragging !== undefined) streaming.seek(dragging);
    setDragging(undefined);
  };

  return (
    <div className={className ?? 'adaptive-audio-player'} data-track={trackId}>
      <audio ref={streaming.audioRef} preload="none" />
      <div className="controls">
        <button type="button" onClick={() => (isPlaying ? streaming.pause() : void streaming.play(trackId))}>
          {isPlaying ? 'Pause' : 'Play'}
        </button>
        <input
          type="range"
          aria-label="Position"
          aria-valuetext={`${clock(dragging ?? position)} of ${clock(duration)}`}
          min={0}
          max={duration || 0}
          step={0.1}
          value={dragging ?? position}
          disabled={!loaded}
          onChange={onSeekInput}
          onPointerUp={commitSeek}
          onKeyUp={commitSeek}
          onBlur={commitSeek}
        />
        <output className="time">
          {clock(dragging ?? position)} / {clock(duration)}
        </output>
      </div>
      <div className="quality-info">
        <label>
          Quality{' '}
          <select aria-label="Quality" value={loaded ? mode : 'auto'} disabled={!loaded} onChange={onQuality}>
            <option value="auto">Auto</option>
            {(loaded ? track.profiles : []).map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>{' '}
        <span className="current-quality" data-quality={currentQuality ?? ''}>
          Playing: {currentQuality ?? '–'}
          {currentQuality && isAdaptive ? ' (auto)' : ''}
        </span>{' '}
        <span className="buffer-health">Buffer: {bufferHealth}%</span>
      </div>
      <div className="connection-status" data-status={connectionStatus}>
        WebSocket: {connectionStatus}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {eventsShown > 0 ? (
        <ol className="events-log" aria-label="Real-time events">
          {events.slice(-eventsShown).map((event, index) => (
            <li key={`${events.length - eventsShown + index}`} data-event={event.event}>
              {describeEvent(event)}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
