import { fieldError, HlsaudioError } from '../errors.js';
import { TRACK_ID } from '../catalog/track-id.js';
import { checkId } from '../ids.js';
import { asSent } from '../json.js';
import {
  type ClientCapabilities,
  CONNECTION_TYPES,
  type ConnectionType,
  DEVICE_TYPES,
  type PerformanceMetrics,
  QUALITY_REPORT_REASONS,
  type QualityReportReason,
} from './types.js';

/**
 * Reading the sessions API's request bodies: every field checked, each error naming the field as a
 * path (`client_capabilities.device_type`) with `Expected … got …` and the value as it was sent (json.ts).
 * Fields the spec does not know are ignored, so that newer clients keep working. Only own fields of
 * the body are read, and names a client chose are looked up in Maps, so `"constructor"` or
 * `"__proto__"` is just an unknown name.
 */

export interface CreateSessionRequest {
  track_id: string;
  client_capabilities: ClientCapabilities;
  client_id: string | undefined;
  /** Not in the spec: the listener, as the client names it (trusted only in anonymous mode). */
  user_id: string | undefined;
}

/** u32 counters of the spec: JavaScript clients send floats (`downlink * 1000`), so they are rounded. */
const U32_MAX = 0xffff_ffff;

/** `user_id` of the body, else of the query (`?user_id=`). */
export function parseCreateSession(body: unknown, query: URLSearchParams = new URLSearchParams()): CreateSessionRequest {
  const object = asObject(body, 'body');
  const trackId = own(object, 'track_id');
  if (typeof trackId !== 'string' || !TRACK_ID.test(trackId)) throw fieldError('track_id', 'a track id (lower-case letters, digits, - and _)', asSent(object, 'track_id'));
  const clientId = own(object, 'client_id');
  const userId = own(object, 'user_id') ?? query.get('user_id') ?? undefined;
  return {
    track_id: trackId,
    client_capabilities: parseCapabilities(own(object, 'client_capabilities'), 'client_capabilities'),
    client_id: clientId === undefined ? undefined : checkId('client_id', clientId),
    user_id: userId === undefined ? undefined : checkId('user_id', userId),
  };
}

/**
 * ClientCapabilities (at `path` of the request, '' for a query) with every field optional: the spec's React hook sends no `preferred_quality`.
 * Absent: bandwidth 0 (unknown), buffer 0, connection and device `Unknown`, adaptation on.
 */
export function parseCapabilities(value: unknown, path: string): ClientCapabilities {
  const object = value === undefined ? {} : asObject(value, path);
  const at = (name: string) => (path === '' ? name : `${path}.${name}`);
  const preferred = own(object, 'preferred_quality');
  if (preferred !== undefined && preferred !== null && (typeof preferred !== 'string' || preferred === '')) {
    throw fieldError(at('preferred_quality'), 'a quality_id or null', asSent(object, 'preferred_quality'));
  }
  const adaptive = own(object, 'adaptive_enabled');
  if (adaptive !== undefined && typeof adaptive !== 'boolean') throw fieldError(at('adaptive_enabled'), 'true or false', asSent(object, 'adaptive_enabled'));
  return {
    estimated_bandwidth_kbps: optionalCount(object, 'estimated_bandwidth_kbps', at('estimated_bandwidth_kbps')) ?? 0,
    buffer_duration_ms: optionalCount(object, 'buffer_duration_ms', at('buffer_duration_ms')) ?? 0,
    connection_type: enumValue(object, 'connection_type', at('connection_type'), CONNECTION_TYPES, CONNECTION_ALIASES),
    device_type: enumValue(object, 'device_type', at('device_type'), DEVICE_TYPES, new Map()),
    preferred_quality: typeof preferred === 'string' ? preferred : null,
    adaptive_enabled: adaptive ?? true,
  };
}

/**
 * A PerformanceMetrics report. `buffer_health_percentage` and `download_speed_kbps` are required (the
 * monitor decides on them); the other fields keep their last reported value when left out (browsers
 * cannot measure packet loss). `quality_switches` is accepted and ignored: the server counts switches.
 */
export function parseMetrics(body: unknown): Partial<PerformanceMetrics> & Pick<PerformanceMetrics, 'buffer_health_percentage' | 'download_speed_kbps'> {
  const object = asObject(body, 'body');
  const report = {
    buffer_health_percentage: percentage(object, 'buffer_health_percentage', true)!,
    download_speed_kbps: optionalCount(object, 'download_speed_kbps', 'download_speed_kbps', true)!,
    packet_loss_percentage: percentage(object, 'packet_loss_percentage', false),
    latency_ms: optionalCount(object, 'latency_ms', 'latency_ms'),
    rebuffer_count: optionalCount(object, 'rebuffer_count', 'rebuffer_count'),
    rebuffer_duration_ms: optionalCount(object, 'rebuffer_duration_ms', 'rebuffer_duration_ms'),
  };
  optionalCount(object, 'quality_switches', 'quality_switches');
  return Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined)) as ReturnType<typeof parseMetrics>;
}

export interface QualityRequest {
  quality: string;
  reason: QualityReportReason;
  /** Absent: the session's `client_capabilities.adaptive_enabled` stays as it is. */
  adaptive_enabled: boolean | undefined;
}

/**
 * `PUT /api/streaming/session/:id/quality`: `{"quality": "medium", "adaptive_enabled"?: false,
 * "reason"?: "user" | "player"}` (`quality_id` is accepted for `quality`); `reason` defaults to `user`.
 */
export function parseQualityRequest(body: unknown): QualityRequest {
  const object = asObject(body, 'body');
  const field = own(object, 'quality') !== undefined || own(object, 'quality_id') === undefined ? 'quality' : 'quality_id';
  const quality = own(object, field);
  if (typeof quality !== 'string' || quality === '') throw fieldError(field, 'a quality_id such as "medium"', asSent(object, field));
  const adaptive = own(object, 'adaptive_enabled');
  if (adaptive !== undefined && typeof adaptive !== 'boolean') throw fieldError('adaptive_enabled', 'true or false', asSent(object, 'adaptive_enabled'));
  const reason = own(object, 'reason') === undefined ? 'user' : own(object, 'reason');
  if (!QUALITY_REPORT_REASONS.includes(reason as QualityReportReason)) throw fieldError('reason', QUALITY_REPORT_REASONS.map((name) => `"${name}"`).join(' or '), asSent(object, 'reason'));
  return { quality, reason: reason as QualityReportReason, adaptive_enabled: adaptive };
}

/**
 * Values of the Network Information API (`navigator.connection.type` and `.effectiveType`), which is
 * what a browser client has at hand to fill `connection_type`.
 */
const CONNECTION_ALIASES = new Map<string, ConnectionType>([
  ['4g', 'Cellular4G'],
  ['3g', 'Cellular3G'],
  ['2g', 'Cellular2G'],
  ['slow-2g', 'Cellular2G'],
]);

/**
 * The spec's enum names, matched without regard to case, plus aliases. Any other string becomes
 * `Unknown` (the enums have that value for what a client cannot tell); a non-string is an error.
 */
function enumValue<T extends string>(object: Record<string, unknown>, key: string, path: string, names: readonly T[], aliases: ReadonlyMap<string, T>): T {
  const value = own(object, key);
  if (value === undefined || value === null) return 'Unknown' as T;
  if (typeof value !== 'string') throw fieldError(path, `one of ${names.join(', ')}`, asSent(object, key));
  const lower = value.toLowerCase();
  return names.find((name) => name.toLowerCase() === lower) ?? aliases.get(lower) ?? ('Unknown' as T);
}

function optionalCount(object: Record<string, unknown>, key: string, path: string, required = false): number | undefined {
  const value = own(object, key);
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > U32_MAX) {
    throw fieldError(path, `a number from 0 to ${U32_MAX}`, asSent(object, key));
  }
  return Math.round(value);
}

function percentage(object: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const value = own(object, key);
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) throw fieldError(key, 'a number from 0 to 100', asSent(object, key));
  return value;
}

/** A field the client sent, never one inherited from Object.prototype (`constructor`). */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (path === 'body') throw new HlsaudioError('E_BAD_JSON', `Expected the request body to be a JSON object, got ${describeBody(value)}`);
    throw fieldError(path, 'an object', value);
  }
  return value as Record<string, unknown>;
}

function describeBody(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? 'a string' : typeof value;
}
