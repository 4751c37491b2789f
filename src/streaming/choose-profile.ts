import { streamingDefaults } from '../defaults.js';
import { HlsaudioError } from '../errors.js';
import type { MasterInfo } from '../catalog/schema.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import type { ClientCapabilities } from './types.js';

export interface ChoiceOptions {
  bandwidthSafetyFactor: number;
  assumedBandwidthKbps: number;
  connectionCapKbps: Readonly<Record<string, number>>;
  deviceCapKbps: Readonly<Record<string, number>>;
}

export const defaultChoiceOptions: ChoiceOptions = streamingDefaults;

/** A track's profiles and how its masters group them: what a choice is made among. */
export interface Ladder {
  profiles: readonly AdaptiveProfile[];
  masters: readonly MasterInfo[];
}

/**
 * The initial profile of a session (README, "Session rules"):
 * 1. Adaptation off and `preferred_quality` set: that profile (404 if the track has none such).
 * 2. Otherwise, among the profiles of the track's main master (players cannot switch codec family,
 *    so an adaptive session stays in the family the monitor can move it within): the highest
 *    `bitrate_kbps` that is at most the connection's and the device's cap and whose
 *    `bandwidth_estimate_kbps` fits the client's bandwidth times bandwidthSafetyFactor.
 * 3. Nothing fits: the lowest bit rate under the caps; nothing under the caps either: the lowest.
 * An unknown bandwidth (0) is taken as assumedBandwidthKbps; `Unknown` connection and device have no cap.
 */
export function chooseInitialProfile(ladder: Ladder, capabilities: ClientCapabilities, options: ChoiceOptions = defaultChoiceOptions): AdaptiveProfile {
  if (!capabilities.adaptive_enabled && capabilities.preferred_quality !== null) {
    return profileById(ladder, capabilities.preferred_quality, 'client_capabilities.preferred_quality');
  }
  const family = familyOf(ladder, ladder.masters[0]?.profiles[0] ?? ladder.profiles[0]!.quality_id);
  const cap = bitrateCapKbps(capabilities, options);
  const underCap = family.filter((profile) => profile.bitrate_kbps <= cap);
  const bandwidth = capabilities.estimated_bandwidth_kbps > 0 ? capabilities.estimated_bandwidth_kbps : options.assumedBandwidthKbps;
  const fitting = underCap.filter((profile) => profile.bandwidth_estimate_kbps <= bandwidth * options.bandwidthSafetyFactor);
  return highest(fitting) ?? lowest(underCap) ?? lowest(family)!;
}

/** The lower of the connection's and the device's cap on `bitrate_kbps`; Infinity when neither caps. */
export function bitrateCapKbps(capabilities: Pick<ClientCapabilities, 'connection_type' | 'device_type'>, options: ChoiceOptions = defaultChoiceOptions): number {
  return Math.min(options.connectionCapKbps[capabilities.connection_type] ?? Infinity, options.deviceCapKbps[capabilities.device_type] ?? Infinity);
}

/** The profiles a player can switch among together with `qualityId`: those of its master, highest bit rate first. */
export function familyOf(ladder: Ladder, qualityId: string): AdaptiveProfile[] {
  const master = ladder.masters.find((candidate) => candidate.profiles.includes(qualityId));
  const ids = master?.profiles ?? [qualityId];
  return ladder.profiles.filter((profile) => ids.includes(profile.quality_id)).sort((a, b) => b.bitrate_kbps - a.bitrate_kbps);
}

export function profileById(ladder: Ladder, qualityId: string, field: string): AdaptiveProfile {
  const profile = ladder.profiles.find((candidate) => candidate.quality_id === qualityId);
  if (!profile) {
    throw new HlsaudioError('E_UNKNOWN_QUALITY', `Expected \`${field}\` to be one of ${ladder.profiles.map((p) => p.quality_id).join(', ')}, got ${JSON.stringify(qualityId)}`, { field });
  }
  return profile;
}

function highest(profiles: readonly AdaptiveProfile[]): AdaptiveProfile | undefined {
  return profiles.reduce<AdaptiveProfile | undefined>((best, profile) => (!best || profile.bitrate_kbps > best.bitrate_kbps ? profile : best), undefined);
}

function lowest(profiles: readonly AdaptiveProfile[]): AdaptiveProfile | undefined {
  return profiles.reduce<AdaptiveProfile | undefined>((best, profile) => (!best || profile.bitrate_kbps < best.bitrate_kbps ? profile : best), undefined);
}
