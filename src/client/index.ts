/**
 * `hlsaudio/client`: the typed client of the event server, for browsers and Node 22+. Nothing here
 * imports a Node module.
 */
export { RealtimeClient, type ClientState, type CommandInput, type RealtimeClientOptions } from './client.js';
export { RealtimeClientError, type ClientErrorCode } from './errors.js';
export { clientDefaults, clientOptions } from './defaults.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export * from '../realtime/protocol.js';
export type { QualityChange, QualityChangeReason, SwitchDirection } from '../streaming/types.js';
export { parseEventsGap, type EventsGap } from '../realtime/events-gap.js';
