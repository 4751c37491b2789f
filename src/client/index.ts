/**
 * `hlsaudio/client`: what a web app needs to play from `hlsaudio serve`, for browsers and Node 22+.
 * Nothing here touches a DOM global at import time (Playback uses the element it is given).
 */
export { RealtimeClient, type ClientState, type CommandInput, type RealtimeClientOptions } from './client.js';
export { RealtimeClientError, type ClientErrorCode } from './errors.js';
export { clientDefaults, clientOptions } from './defaults.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { StreamingClient, StreamingApiError, type StreamingClientOptions, type CreatedSession, type QualityReport, type Health } from './streaming-client.js';
export { clientCapabilities, type NavigatorLike } from './capabilities.js';
export { qualityChangeOf, type QualityChanged } from './quality-changed.js';
export {
  PlaybackSync,
  OWN_EVENTS,
  SHARED_EVENTS,
  type PlaybackSyncOptions,
  type SyncState,
  type SyncEvents,
  type MediaLike,
  type PlayerLike,
  type PlayerEvents,
  type RealtimeLike,
  type SessionsApi,
  type ServerPlayback,
} from './playback-sync.js';
export { Playback, qualityOfUrl, type PlaybackOptions, type PlaybackSnapshot } from './playback.js';
export { parsePeaks, peaksDurationSec, waveformBars, type Peaks } from './peaks.js';
export { loudnessOf, normalisationGainDb, dbToGain, type Loudness } from './loudness.js';
export { Emitter } from './emitter.js';
export { describeEvent } from './describe-event.js';
export type { ClientCatalogEntry as CatalogEntry, ClientMasterInfo as MasterInfo } from './catalog.js';
export type { ClientCapabilities, PerformanceMetrics, StreamingSession } from '../streaming/types.js';
export * from '../realtime/protocol.js';
export type { QualityChange, QualityChangeReason, SwitchDirection } from '../streaming/types.js';
export { describeGap, type Gap } from '../realtime/events-gap.js';
