import type { AdaptiveProfile } from '../profiles/profile.js';

/**
 * The spec's adaptive-streaming types ("Streaming Adaptatif"), field names as on the wire
 * (snake_case), enum values spelled as the spec spells them.
 */
export const CONNECTION_TYPES = ['Wifi', 'Cellular4G', 'Cellular3G', 'Cellular2G', 'Ethernet', 'Unknown'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const DEVICE_TYPES = ['Desktop', 'Mobile', 'Tablet', 'SmartSpeaker', 'CarAudio', 'Unknown'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface ClientCapabilities {
  /** 0 when the client does not know (streamingDefaults.assumedBandwidthKbps is then assumed). */
  estimated_bandwidth_kbps: number;
  buffer_duration_ms: number;
  connection_type: ConnectionType;
  device_type: DeviceType;
  preferred_quality: string | null;
  adaptive_enabled: boolean;
}

export interface PerformanceMetrics {
  /** 0 to 100. */
  buffer_health_percentage: number;
  /** 0 when the client measured nothing (a full buffer downloads nothing). */
  download_speed_kbps: number;
  packet_loss_percentage: number;
  latency_ms: number;
  /** Running totals since the session started, as the player counts them. */
  rebuffer_count: number;
  rebuffer_duration_ms: number;
  /** Counted by the server: every change of `current_quality` (monitor, PUT quality). */
  quality_switches: number;
}

export type SwitchDirection = 'up' | 'down';

/**
 * Why a session's `current_quality` changed: one of the monitor's criteria (the first that held, in
 * the order it checks them), or the client's report (`PUT …/quality`): the listener chose (`user`) or
 * the player's own ABR switched (`player`). The one vocabulary of streaming, realtime and analytics.
 */
export const QUALITY_CHANGE_REASONS = ['rebuffer', 'buffer_low', 'packet_loss', 'latency', 'bandwidth', 'bandwidth_headroom', 'user', 'player'] as const;
export type QualityChangeReason = (typeof QUALITY_CHANGE_REASONS)[number];
/** The reasons a client gives for the quality it reports. */
export const QUALITY_REPORT_REASONS = ['user', 'player'] as const satisfies readonly QualityChangeReason[];
export type QualityReportReason = (typeof QUALITY_REPORT_REASONS)[number];
/** The monitor's reasons. */
export type SwitchReason = Exclude<QualityChangeReason, QualityReportReason>;

/**
 * A change of a session's `current_quality`, whoever made it: emitted by the manager
 * (`quality-changed`), pushed by the event server as the `QualityChanged` event (the same fields),
 * recorded by the analytics with its reason as is.
 */
export interface QualityChange {
  session_id: string;
  track_id: string;
  /** The session's user (a verified token's `sub`, or the `user_id` given in anonymous mode), else null. */
  user_id: string | null;
  from_quality: string;
  to_quality: string;
  direction: SwitchDirection;
  reason: QualityChangeReason;
  /** The master playlist holding `to_quality` (its codec family's). */
  master_url: string;
  /** Epoch ms. */
  timestamp: number;
}

/** The monitor's last decision, as the session stores it: the change plus the full profile to play. */
export interface QualityRecommendation extends QualityChange {
  reason: SwitchReason;
  /** The profile to play now, in full, so that a client needs no other lookup. */
  profile: AdaptiveProfile;
  /** ISO 8601 (the same instant as `timestamp`). */
  created_at: string;
}

export interface StreamingSession {
  session_id: string;
  track_id: string;
  client_id: string;
  /** Not in the spec: the session's user (see QualityChange.user_id), null when none was given or proved. */
  user_id: string | null;
  current_quality: string;
  client_capabilities: ClientCapabilities;
  performance_metrics: PerformanceMetrics;
  /** ISO 8601. */
  created_at: string;
  last_updated: string;
  /** Not in the spec: the URL of the master that lists `current_quality` first, for this session. */
  master_url: string;
  /** Not in the spec: the quality monitor's last decision, or null while it has made none. */
  recommendation: QualityRecommendation | null;
}

/** `get_streaming_stats()`. */
export interface StreamingStats {
  active_sessions: number;
  sessions_by_quality: Record<string, number>;
  /** Mean over the sessions that reported metrics; null while none has. */
  average_buffer_health_percentage: number | null;
  /** Reported rebuffering time over the summed age of the active sessions, 0 to 1. */
  rebuffer_ratio: number;
  total_rebuffers: number;
  total_quality_switches: number;
  sessions_created: number;
  sessions_ended: number;
  sessions_expired: number;
  quality_monitor_running: boolean;
}

/** Events of AdaptiveStreamingManager, for the WebSocket server to push (as hls.js types its events in one map). */
export interface StreamingEvents {
  'session-created': [session: StreamingSession];
  /** `current_quality` changed: by the monitor (its reason; the session's `recommendation` is set first) or by the client (PUT quality: `user` or `player`). */
  'quality-changed': [change: QualityChange, session: StreamingSession];
  /** A PerformanceMetrics report was stored; `previous` is what the session held before (analytics counts rebuffers from the difference). */
  'metrics-reported': [session: StreamingSession, previous: PerformanceMetrics];
  'session-ended': [session: StreamingSession, reason: 'ended' | 'expired'];
}
