import { describe, expect, it } from 'vitest';
import { chooseInitialProfile } from '../../../src/streaming/choose-profile.js';
import type { ClientCapabilities, ConnectionType, DeviceType } from '../../../src/streaming/types.js';
import { CHOICE_TABLE } from '../../helpers/choice-table.js';
import { LADDER } from '../../helpers/ladder.js';

function capabilities(connection: ConnectionType, device: DeviceType, bandwidth: number, extra: Partial<ClientCapabilities> = {}): ClientCapabilities {
  return { estimated_bandwidth_kbps: bandwidth, buffer_duration_ms: 5000, connection_type: connection, device_type: device, preferred_quality: null, adaptive_enabled: true, ...extra };
}

describe('chooseInitialProfile on the spec ladder (fits: bandwidth_estimate_kbps <= 0.8 x bandwidth)', () => {
  it.each(CHOICE_TABLE)('%s, %s, %d kbps: %s', (connection, device, bandwidth, expected) => {
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
