'use client';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { PlaybackSync } from '../client/playback-sync.js';
import { type AdaptiveStreamingOptions, type AdaptiveStreamingSnapshot, StreamingStore } from './streaming-store.js';

export interface UseAdaptiveStreamingResult extends AdaptiveStreamingSnapshot {
  setIsAdaptive: (adaptive: boolean) => void;
  /** A streaming session for `trackId` (the specification's call); resolves with its id. */
  createStreamingSession: (trackId: string) => Promise<string>;
  /** The master playlist URL of `trackId` (the session's own once that track is loaded). */
  getHLSMasterPlaylist: (trackId: string) => string;
  /** Give it to the `<audio>` element: `<audio ref={audioRef} />`. */
  audioRef: (element: HTMLAudioElement | null) => void;
  /** Loads `trackId` (a new session) and plays it. */
  load: (trackId: string) => Promise<void>;
  /** Plays `trackId` (loading it unless it is the one loaded), or resumes. */
  play: (trackId?: string) => Promise<void>;
  pause: () => void;
  /** Moves the play head; the server is told with a `Seek` at once. */
  seek: (seconds: number) => void;
  /** `auto` or a quality_id to force (the session is told why). */
  setQuality: (mode: string) => void;
  /** The state machine underneath, once the audio element is attached. */
  sync: PlaybackSync | undefined;
}

/**
 * The specification's `useAdaptiveStreaming()`, done with hlsaudio/client: hls.js plays the
 * session's master, PlaybackSync tells the server Play/Pause/Seek/Stop, reports metrics and the
 * quality really playing, and restores the playback after a reconnection or a server restart.
 * SSR-safe: nothing runs before the audio element is attached (at commit, in the browser).
 */
export function useAdaptiveStreaming(options: AdaptiveStreamingOptions = {}): UseAdaptiveStreamingResult {
  const [store] = useState(() => new StreamingStore(options));
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
  useEffect(() => {
    store.resume();
    return () => store.attach(null);
  }, [store]);
  return {
    ...snapshot,
    setIsAdaptive: useCallback((adaptive: boolean) => store.setIsAdaptive(adaptive), [store]),
    createStreamingSession: useCallback((trackId: string) => store.createStreamingSession(trackId), [store]),
    getHLSMasterPlaylist: useCallback((trackId: string) => store.getHLSMasterPlaylist(trackId), [store]),
    audioRef: useCallback((element: HTMLAudioElement | null) => store.setElement(element), [store]),
    load: useCallback((trackId: string) => store.load(trackId), [store]),
    play: useCallback((trackId?: string) => store.play(trackId), [store]),
    pause: useCallback(() => store.pause(), [store]),
    seek: useCallback((seconds: number) => store.seek(seconds), [store]),
    setQuality: useCallback((mode: string) => store.setQuality(mode), [store]),
    sync: store.sync,
  };
}
