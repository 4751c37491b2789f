/** The real-time event server at /api/ws, for `hlsaudio serve` to mount. */
export { attachRealtime, type RealtimeServer, STATS_FILE } from './attach.js';
export { type AuthOptions, authOptionsFromEnv, type Identity } from './auth.js';
export { type Delivery, InProcessBroker, type RealtimeBroker } from './broker.js';
export { InProcessPresence, type Presence } from './presence.js';
export type { ConnectionQuotas, QuotaAsk, QuotaReservation } from './connection-quotas.js';
export { type RealtimeDeps, type SessionDirectory, type TrackDirectory, type TrackSummary, tracksFromCatalog } from './deps.js';
export type { EventsHandler } from './events-endpoint.js';
export { describeGap, type Gap, gapEvent } from './events-gap.js';
export { FILTER_KEYS } from './filters.js';
export { WebSocketManager, type WebSocketStats } from './manager.js';
export { type RealtimeOptions, resolveRealtimeOptions } from './options.js';
export { LEGACY_PLAYLISTS_FILE, PLAYLISTS_DB_FILE, type PlaylistStore, SqlitePlaylistStore } from './playlists.js';
export * from './protocol.js';
export { RedisBroker, type RedisBrokerOptions } from './redis-broker.js';
export { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { maskUrlCredentials as maskRedisUrl } from '../url-credentials.js';
