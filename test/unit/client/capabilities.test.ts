import { expect, it } from 'vitest';
import { clientCapabilities } from '../../../src/client/capabilities.js';

it('sends bandwidth 0 (unknown) where the browser has no navigator.connection, never a made-up figure', () => {
  expect(clientCapabilities('auto', { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' })).toEqual({
    estimated_bandwidth_kbps: 0,
    buffer_duration_ms: 30_000,
    connection_type: 'Unknown',
    device_type: 'Desktop',
    preferred_quality: null,
    adaptive_enabled: true,
  });
  expect(clientCapabilities('auto', {})).toMatchObject({ estimated_bandwidth_kbps: 0, device_type: 'Unknown' });
});

it('reads navigator.connection where present, and a forced variant turns adaptation off', () => {
  expect(clientCapabilities('low', { userAgent: 'Mozilla/5.0 (Linux; Android 14) Mobile', connection: { type: 'wifi', effectiveType: '4g', downlink: 2.45 } })).toEqual({
    estimated_bandwidth_kbps: 2450,
    buffer_duration_ms: 30_000,
    connection_type: 'Wifi',
    device_type: 'Mobile',
    preferred_quality: 'low',
    adaptive_enabled: false,
  });
  // Chromium on a desktop gives no `type`, only the effective type.
  expect(clientCapabilities('auto', { userAgent: 'x', connection: { effectiveType: '3g', downlink: 0.7 } })).toMatchObject({ connection_type: 'Cellular3G', estimated_bandwidth_kbps: 700 });
});
