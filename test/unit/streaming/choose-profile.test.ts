import { describe, expect, it } from 'vitest';
import { chooseInitialProfile } from '../../../src/streaming/choose-profile.js';
import type { ClientCapabilities, ConnectionType, DeviceType } from '../../../src/streaming/types.js';
import { LADDER } from '../../helpers/ladder.js';

function capabilities(connection: ConnectionType, device: DeviceType, bandwidth: number, extra: Partial<ClientCapabilities> = {}): ClientCapabilities {
  return { estimated_bandwidth_kbps: bandwidth, buffer_duration_ms: 5000, connection_type: connection, device_type: device, preferred_quality: null, adaptive_enabled: true, ...extra };
}

describe('chooseInitialProfile on the spec ladder (fits: bandwidth_estimate_kbps <= 0.8 x bandwidth)', () => {
  it.each<[ConnectionType, DeviceType, number, string]>([
    ['Wifi', 'Desktop', 1000, 'high'],
    ['Wifi', 'Desktop', 500, 'high'], // 400 <= 0.8 x 500 exactly
    ['Wifi', 'Desktop', 499, 'medium'],
    ['Wifi', 'Desktop', 400, 'medium'],
    ['Wifi', 'Desktop', 312, 'mobile'], // medium needs 312.5
    ['Wifi', 'Desktop', 200, 'mobile'],
    ['Wifi', 'Desktop', 100, 'mobile'], // nothing fits: the lowest
    ['Wifi', 'Desktop', 0, 'high'], // unknown: 500 assumed
    ['Ethernet', 'Desktop', 5000, 'high'],
    ['Ethernet', 'Tablet', 5000, 'high'],
    ['Wifi', 'SmartSpeaker', 600, 'high'], // a smart speaker on Wi-Fi may take high
    ['Wifi', 'SmartSpeaker', 300, 'mobile'],
    ['Wifi', 'Mobile', 5000, 'medium'], // device cap 192
    ['Wifi', 'CarAudio', 5000, 'medium'],
    ['Cellular4G', 'Tablet', 5000, 'high'],
    ['Cellular4G', 'Mobile', 5000, 'medium'],
    ['Cellular4G', 'CarAudio', 300, 'mobile'],
    ['Cellular3G', 'Desktop', 5000, 'medium'], // connection cap 192
    ['Cellular3G', 'Mobile', 150, 'mobile'],
    ['Cellular2G', 'Mobile', 5000, 'mobile'], // 2G gets mobile
    ['Cellular2G', 'SmartSpeaker', 50, 'mobile'],
    ['Cellular2G', 'Desktop', 0, 'mobile'],
    ['Unknown', 'Unknown', 1000, 'high'],
    ['Unknown', 'Unknown', 0, 'high'],
    ['Unknown', 'Mobile', 0, 'medium'],
  ])('%s, %s, %d kbps: %s', (connection, device, bandwidth, expected) => {
    expect(chooseInitialProfile(LADDER, capabilities(connection, device, bandwidth)).quality_id).toBe(expected);
  });

  it('never chooses the MP3 profile on its own: players cannot switch into it', () => {
    for (const bandwidth of [0, 100, 190, 200, 210, 250, 400, 10_000]) {
      expect(chooseInitialProfile(LADDER, capabilities('Wifi', 'Desktop', bandwidth)).codec).toBe('aac');
    }
  });

  it('takes preferred_quality when adaptation is off, even the MP3 profile and above the caps', () => {
    expect(chooseInitialProfile(LADDER, capabilities('Cellular2G', 'Mobile', 50, { adaptive_enabled: false, preferred_quality: 'high' })).quality_id).toBe('high');
    expect(chooseInitialProfile(LADDER, capabilities('Wifi', 'Desktop', 1000, { adaptive_enabled: false, preferred_quality: 'low' })).quality_id).toBe('low');
  });

  it('ignores preferred_quality while adaptation is on, and chooses by the rules when adaptation is off without one', () => {
    expect(chooseInitialProfile(LADDER, capabilities('Wifi', 'Desktop', 1000, { preferred_quality: 'mobile' })).quality_id).toBe('high');
    expect(chooseInitialProfile(LADDER, capabilities('Wifi', 'Desktop', 400, { adaptive_enabled: false })).quality_id).toBe('medium');
  });

  it('refuses a preferred_quality the track does not have, naming the field and the choices', () => {
    expect(() => chooseInitialProfile(LADDER, capabilities('Wifi', 'Desktop', 1000, { adaptive_enabled: false, preferred_quality: 'ultra' }))).toThrow(
      expect.objectContaining({
        code: 'E_UNKNOWN_QUALITY',
        field: 'client_capabilities.preferred_quality',
        message: 'Expected `client_capabilities.preferred_quality` to be one of high, medium, low, mobile, got "ultra"',
      }),
    );
  });
});
