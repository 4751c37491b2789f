import type { ClientCapabilities, ConnectionType, DeviceType } from '../streaming/types.js';

/** What a browser's `navigator` may say about the network (Network Information API, Chromium only). */
export interface NavigatorLike {
  userAgent?: string;
  connection?: { type?: string; effectiveType?: string; downlink?: number };
}

const CONNECTION_BY_TYPE: Record<string, ConnectionType> = { wifi: 'Wifi', ethernet: 'Ethernet', cellular: 'Cellular4G' };
const CONNECTION_BY_EFFECTIVE_TYPE: Record<string, ConnectionType> = { '4g': 'Cellular4G', '3g': 'Cellular3G', '2g': 'Cellular2G', 'slow-2g': 'Cellular2G' };

/**
 * ClientCapabilities from `navigator.connection` where the browser has it. Where it has none, the
 * bandwidth is 0, which the server reads as unknown (its own assumption applies), rather than a
 * made-up figure. `mode` is `auto` or a forced quality_id (adaptation off).
 */
export function clientCapabilities(mode: string, navigator: NavigatorLike | undefined = globalThis.navigator as NavigatorLike | undefined, bufferDurationMs = 30_000): ClientCapabilities {
  const connection = navigator?.connection;
  const type = connection?.type;
  const connectionType =
    (type !== undefined ? CONNECTION_BY_TYPE[type] : connection?.effectiveType !== undefined ? CONNECTION_BY_EFFECTIVE_TYPE[connection.effectiveType] : undefined) ?? 'Unknown';
  const deviceType: DeviceType = navigator?.userAgent === undefined ? 'Unknown' : /Mobi|Android/i.test(navigator.userAgent) ? 'Mobile' : 'Desktop';
  const downlink = connection?.downlink;
  return {
    estimated_bandwidth_kbps: typeof downlink === 'number' && downlink > 0 ? Math.round(downlink * 1000) : 0,
    buffer_duration_ms: bufferDurationMs,
    connection_type: connectionType,
    device_type: deviceType,
    preferred_quality: mode === 'auto' ? null : mode,
    adaptive_enabled: mode === 'auto',
  };
}
