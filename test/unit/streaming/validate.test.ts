import { describe, expect, it } from 'vitest';
import { parseCreateSession, parseMetrics, parseQualityRequest } from '../../../src/streaming/validate.js';

describe('parseCreateSession', () => {
  it('reads the React hook\'s body (no preferred_quality), rounding float bandwidths', () => {
    expect(
      parseCreateSession({
        track_id: 'song',
        client_capabilities: { estimated_bandwidth_kbps: 1450.0000001, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', adaptive_enabled: true },
      }),
    ).toEqual({
      track_id: 'song',
      client_id: undefined,
      client_capabilities: { estimated_bandwidth_kbps: 1450, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true },
    });
  });

  it('defaults every capability, and maps enum spellings: any case, Network Information values, anything else to Unknown', () => {
    expect(parseCreateSession({ track_id: 'song' }).client_capabilities).toEqual({
      estimated_bandwidth_kbps: 0,
      buffer_duration_ms: 0,
      connection_type: 'Unknown',
      device_type: 'Unknown',
      preferred_quality: null,
      adaptive_enabled: true,
    });
    const caps = (connection_type: string, device_type: string) => parseCreateSession({ track_id: 's', client_capabilities: { connection_type, device_type } }).client_capabilities;
    expect(caps('wifi', 'smartspeaker')).toMatchObject({ connection_type: 'Wifi', device_type: 'SmartSpeaker' });
    expect(caps('CELLULAR4G', 'caraudio')).toMatchObject({ connection_type: 'Cellular4G', device_type: 'CarAudio' });
    expect(caps('slow-2g', 'Tablet')).toMatchObject({ connection_type: 'Cellular2G' });
    expect(caps('3g', 'Mobile')).toMatchObject({ connection_type: 'Cellular3G' });
    expect(caps('Cellular5G', 'Watch')).toMatchObject({ connection_type: 'Unknown', device_type: 'Unknown' });
  });

  it.each([
    [null, 'E_BAD_JSON', 'Expected the request body to be a JSON object, got null'],
    [[1], 'E_BAD_JSON', 'Expected the request body to be a JSON object, got an array'],
    [{}, 'E_FIELD', 'Expected `track_id` to be a track id (lower-case letters, digits, - and _), got nothing'],
    [{ track_id: '../x' }, 'E_FIELD', 'Expected `track_id` to be a track id (lower-case letters, digits, - and _), got "../x"'],
    [{ track_id: 5 }, 'E_FIELD', 'Expected `track_id` to be a track id (lower-case letters, digits, - and _), got number 5'],
    [{ track_id: 's', client_capabilities: 'fast' }, 'E_FIELD', 'Expected `client_capabilities` to be an object, got "fast"'],
    [{ track_id: 's', client_capabilities: { estimated_bandwidth_kbps: '1000' } }, 'E_FIELD', 'Expected `client_capabilities.estimated_bandwidth_kbps` to be a number from 0 to 4294967295, got "1000"'],
    [{ track_id: 's', client_capabilities: { buffer_duration_ms: -1 } }, 'E_FIELD', 'Expected `client_capabilities.buffer_duration_ms` to be a number from 0 to 4294967295, got number -1'],
    [{ track_id: 's', client_capabilities: { connection_type: 4 } }, 'E_FIELD', 'Expected `client_capabilities.connection_type` to be one of Wifi, Cellular4G, Cellular3G, Cellular2G, Ethernet, Unknown, got number 4'],
    [{ track_id: 's', client_capabilities: { device_type: ['Mobile'] } }, 'E_FIELD', 'Expected `client_capabilities.device_type` to be one of Desktop, Mobile, Tablet, SmartSpeaker, CarAudio, Unknown, got an array'],
    [{ track_id: 's', client_capabilities: { adaptive_enabled: 'yes' } }, 'E_FIELD', 'Expected `client_capabilities.adaptive_enabled` to be true or false, got "yes"'],
    [{ track_id: 's', client_capabilities: { preferred_quality: 3 } }, 'E_FIELD', 'Expected `client_capabilities.preferred_quality` to be a quality_id or null, got number 3'],
    [{ track_id: 's', client_id: '' }, 'E_FIELD', 'Expected `client_id` to be an id of 1 to 128 printable ASCII characters (no space), got ""'],
  ])('refuses %j: %s %s', (body, code, message) => {
    expect(() => parseCreateSession(body)).toThrow(expect.objectContaining({ code, message }));
  });
});

describe('parseMetrics', () => {
  it('requires buffer health and download speed, keeps only the fields given, ignores quality_switches', () => {
    expect(parseMetrics({ buffer_health_percentage: 87.5, download_speed_kbps: 1200.4, latency_ms: 35, quality_switches: 9 })).toEqual({
      buffer_health_percentage: 87.5,
      download_speed_kbps: 1200,
      latency_ms: 35,
    });
  });

  it.each([
    [{ download_speed_kbps: 100 }, 'Expected `buffer_health_percentage` to be a number from 0 to 100, got nothing'],
    [{ buffer_health_percentage: 101, download_speed_kbps: 100 }, 'Expected `buffer_health_percentage` to be a number from 0 to 100, got number 101'],
    [{ buffer_health_percentage: 50 }, 'Expected `download_speed_kbps` to be a number from 0 to 4294967295, got nothing'],
    [{ buffer_health_percentage: 50, download_speed_kbps: 1, packet_loss_percentage: '2%' }, 'Expected `packet_loss_percentage` to be a number from 0 to 100, got "2%"'],
    [{ buffer_health_percentage: 50, download_speed_kbps: 1, rebuffer_count: null }, 'Expected `rebuffer_count` to be a number from 0 to 4294967295, got null'],
  ])('refuses %j', (body, message) => {
    expect(() => parseMetrics(body)).toThrow(expect.objectContaining({ code: 'E_FIELD', message }));
  });
});

describe('parseQualityRequest', () => {
  it('reads quality (or quality_id), the listener\'s choice unless the reason says the player\'s ABR', () => {
    expect(parseQualityRequest({ quality: 'medium' })).toEqual({ quality: 'medium', reason: 'user', adaptive_enabled: undefined });
    expect(parseQualityRequest({ quality_id: 'low' })).toEqual({ quality: 'low', reason: 'user', adaptive_enabled: undefined });
    expect(parseQualityRequest({ quality: 'high', adaptive_enabled: false, reason: 'user' })).toEqual({ quality: 'high', reason: 'user', adaptive_enabled: false });
    expect(parseQualityRequest({ quality: 'high', adaptive_enabled: true, reason: 'player' })).toEqual({ quality: 'high', reason: 'player', adaptive_enabled: true });
    expect(() => parseQualityRequest({})).toThrow('Expected `quality` to be a quality_id such as "medium", got nothing');
    expect(() => parseQualityRequest({ quality: true })).toThrow('Expected `quality` to be a quality_id such as "medium", got boolean true');
  });

  it.each([
    [{ quality: 'high', adaptive_enabled: 'no' }, 'Expected `adaptive_enabled` to be true or false, got "no"'],
    [{ quality: 'high', adaptive_enabled: null }, 'Expected `adaptive_enabled` to be true or false, got null'],
    [{ quality: 'high', reason: 'monitor' }, 'Expected `reason` to be "user" or "player", got "monitor"'],
    [{ quality: 'high', reason: 1 }, 'Expected `reason` to be "user" or "player", got number 1'],
    [{ quality: 'high', reason: null }, 'Expected `reason` to be "user" or "player", got null'],
  ])('refuses %j', (body, message) => {
    expect(() => parseQualityRequest(body)).toThrow(expect.objectContaining({ code: 'E_FIELD', message }));
  });
});
