import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingApiError, StreamingClient } from '../../src/client/streaming-client.js';
import { packageFixtures, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/** hlsaudio/client's StreamingClient against a real `hlsaudio serve`. */
const out = join(tempDir(), 'out');
const ID = 'short-22k-stereo';
let server: RunningServer;
let client: StreamingClient;

afterAll(stopServers);

beforeAll(async () => {
  await packageFixtures(out, [`${ID}.wav`]);
  server = await startServe(out);
  client = new StreamingClient({ baseUrl: `http://127.0.0.1:${server.port}/` });
});

const capabilities = { estimated_bandwidth_kbps: 0, buffer_duration_ms: 30_000, connection_type: 'Unknown', device_type: 'Desktop', preferred_quality: null, adaptive_enabled: true } as const;

describe('StreamingClient', () => {
  it('reads the catalog and the health, whose boot_id stays the same while the server runs', async () => {
    expect((await client.catalog()).map((track) => track.id)).toEqual([ID]);
    const health = await client.health();
    expect(health).toMatchObject({ status: 'ok', boot_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await client.health()).boot_id).toBe(health.boot_id);
  });

  it('creates a session, reports quality and metrics, and ends it', async () => {
    const created = await client.createSession({ trackId: ID, capabilities, clientId: 'client-test' });
    expect(created.master_url).toBe(`/hls/${ID}/master.m3u8?session=${created.session_id}`);
    expect(client.masterUrl(ID, created.session_id)).toBe(`http://127.0.0.1:${server.port}${created.master_url}`);
    const fetched = await client.getSession(created.session_id);
    expect(fetched).toMatchObject({ session_id: created.session_id, client_id: 'client-test', current_quality: created.initial_profile.quality_id, client_capabilities: capabilities });
    const forced = await client.reportQuality(created.session_id, { quality: 'low', adaptive_enabled: false, reason: 'user' });
    expect(forced.current_quality).toBe('low');
    expect(forced.client_capabilities.adaptive_enabled).toBe(false);
    const metrics = { buffer_health_percentage: 90, download_speed_kbps: 800, packet_loss_percentage: 0, latency_ms: 30, rebuffer_count: 1, rebuffer_duration_ms: 400, quality_switches: 1 };
    expect((await client.postMetrics(created.session_id, metrics)).performance_metrics).toMatchObject({ buffer_health_percentage: 90, rebuffer_count: 1 });
    expect((await client.endSession(created.session_id)).session_id).toBe(created.session_id);
    const gone = await client.getSession(created.session_id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(StreamingApiError);
    expect(gone).toMatchObject({ code: 'E_UNKNOWN_SESSION', status: 404 });
  });

  it('turns the server\'s refusals into typed codes with its message', async () => {
    const error = await client.createSession({ trackId: 'no-such-track', capabilities }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'StreamingApiError', code: 'E_UNKNOWN_TRACK', status: 404, message: expect.stringContaining('no-such-track') });
    const field = await client.createSession({ trackId: ID, capabilities: { ...capabilities, buffer_duration_ms: -1 } }).catch((caught: unknown) => caught);
    expect(field).toMatchObject({ code: 'E_FIELD', status: 400, message: expect.stringContaining('client_capabilities.buffer_duration_ms') });
  });

  it('reads a track\'s waveform, says one that has none (404) with undefined, and an unreachable server with E_NETWORK', async () => {
    expect(await client.peaks(ID)).toMatchObject({ version: 2, channels: expect.any(Number), samples_per_pixel: expect.any(Number) });
    expect(await client.peaks('no-such-track')).toBeUndefined();
    const closed = new StreamingClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(closed.health()).rejects.toMatchObject({ code: 'E_NETWORK', status: 0 });
  });
});
