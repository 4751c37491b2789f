/** hlsaudio as a library: the same pipeline and formats the CLI uses. */
export { HlsaudioError, type ErrorCode } from './errors.js';
export { packageDefaults, serveDefaults, streamingDefaults } from './defaults.js';
export type { AdaptiveProfile, Codec } from './profiles/profile.js';
export { loadProfiles, selectProfiles } from './profiles/load.js';
export { packageCatalog, type PackageOptions, type PackageSummary, type TrackOutcome } from './package/runner.js';
export type { CatalogInfo, CatalogEntry, TrackInfo, VariantInfo, MasterInfo } from './catalog/schema.js';
export { rebuildCatalog, readTrack, listTrackIds } from './catalog/store.js';
export { createHlsServer, type HlsServer, type HlsServerOptions } from './serve/server.js';
export { TrustedProxies } from './trusted-proxies.js';
export { Router, type RequestContext, type RouteHandler } from './serve/router.js';
export { AdaptiveStreamingManager, type StreamingOptions, type TrackSource } from './streaming/manager.js';
export type { ClientCapabilities, ConnectionType, DeviceType, PerformanceMetrics, QualityChange, QualityChangeReason, QualityRecommendation, StreamingEvents, StreamingSession, StreamingStats } from './streaming/types.js';
export { QUALITY_CHANGE_REASONS } from './streaming/types.js';
export { type Logger, type LogLevel, logTo, stderrLogger } from './log.js';
export type { CatalogSnapshot, TrackSummary } from './catalog/snapshot.js';
export { MemorySessionStore, type SessionStore } from './streaming/session-store.js';
