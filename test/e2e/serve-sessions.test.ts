import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterPlaylist } from '../../src/hls/parse.js';
import { CHOICE_TABLE } from '../helpers/choice-table.js';
import { packageFixtures, request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

const out = join(tempDir(), 'out');
const ID = 'wav-44k-stereo';
const OTHER = 'short-22k-stereo';
let server: RunningServer;

const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  request(server.port, method, path, { headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
const createSession = (capabilities: Record<string, unknown>, trackId = ID) => json('POST', '/api/streaming/session', { track_id: trackId, client_capabilities: capabilities });
const firstVariant = (text: string) => readMasterPlaylist(text).variants[0]!.uri;

afterAll(stopServers);

beforeAll(async () => {
  await packageFixtures(out, [`${ID}.wav`, `${OTHER}.wav`]);
  server = await startServe(out);
});

describe('POST /api/streaming/session', () => {
  it('answers the React hook\'s request with 201, the session id and the full initial profile', async () => {
    const answer = await createSession({ estimated_bandwidth_kbps: 1000, buffer_duration_ms: 5000, connection_type: 'Wifi', device_type: 'Desktop', adaptive_enabled: true });
    expect(answer.status).toBe(201);
    const body = answer.json();
    expect(body).toEqual({
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      initial_profile: { quality_id: 'high', bitrate_kbps: 320, sample_rate: 44100, channels: 2, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 400 },
      master_url: `/hls/${ID}/master.m3u8?session=${body.session_id}`,
      // Beyond the spec: the initial variant's loudness for the player's own gain, and the waveform.
      loudness: { integrated_lufs: expect.any(Number), true_peak_dbtp: expect.any(Number), range_lu: expect.any(Number), normalized_to_lufs: null },
      peaks_url: expect.stringMatching(new RegExp(`^/hls/${ID}/peaks\\.[0-9a-f]{12}\\.json$`)),
    });
    const peaks = await request(server.port, 'GET', body.peaks_url);
    expect(peaks.status).toBe(200);
    expect(peaks.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(peaks.json()).toMatchObject({ version: 2, channels: 2, samples_per_pixel: 512, bits: 8 });
    const fixed = await request(server.port, 'GET', `/hls/${ID}/peaks.json`);
    expect(fixed.headers['cache-control']).toBe('public, no-cache');
    expect(fixed.body.equals(peaks.body)).toBe(true);
    expect(answer.headers.location).toBe(`/api/streaming/session/${body.session_id}`);
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it.each(CHOICE_TABLE)('%s, %s, %d kbps: %s', async (connection_type, device_type, estimated_bandwidth_kbps, expected) => {
    const answer = await createSession({ estimated_bandwidth_kbps, buffer_duration_ms: 5000, connection_type, device_type, adaptive_enabled: true });
    expect(answer.json().initial_profile.quality_id).toBe(expected);
  });

  it('takes preferred_quality with adaptation off, and unknown enum spellings as Unknown', async () => {
    expect((await createSession({ adaptive_enabled: false, preferred_quality: 'low' })).json().initial_profile.quality_id).toBe('low');
    const unknown = (await createSession({ connection_type: 'Cellular6G', device_type: 'Toaster', estimated_bandwidth_kbps: 1000 })).json();
    expect(unknown.initial_profile.quality_id).toBe('high');
    expect((await json('GET', `/api/streaming/session/${unknown.session_id}`)).json().client_capabilities).toMatchObject({ connection_type: 'Unknown', device_type: 'Unknown' });
  });

  it.each([
    ['{"track_id": ', 400, 'E_BAD_JSON', /^The request body is not valid JSON \(/],
    ['', 400, 'E_BAD_JSON', /^The request body is empty; expected a JSON object$/],
    ['[]', 400, 'E_BAD_JSON', /^Expected the request body to be a JSON object, got an array$/],
    [{ track_id: 'nope' }, 404, 'E_UNKNOWN_TRACK', /^No track "nope" in the catalog$/],
    [{ track_id: 42 }, 400, 'E_FIELD', /^Expected `track_id` to be a track id .*, got number 42$/],
    [{ track_id: ID, client_capabilities: { estimated_bandwidth_kbps: 'fast' } }, 400, 'E_FIELD', /^Expected `client_capabilities.estimated_bandwidth_kbps` to be a number from 0 to 4294967295, got "fast"$/],
    [{ track_id: ID, client_capabilities: { adaptive_enabled: 1 } }, 400, 'E_FIELD', /^Expected `client_capabilities.adaptive_enabled` to be true or false, got number 1$/],
    [{ track_id: ID, client_capabilities: { adaptive_enabled: false, preferred_quality: 'ultra' } }, 404, 'E_UNKNOWN_QUALITY', /^Expected `client_capabilities.preferred_quality` to be one of high, medium, low, mobile, got "ultra"$/],
  ])('refuses %j with %d %s', async (body, status, error, message) => {
    const answer = await json('POST', '/api/streaming/session', body);
    expect(answer.status).toBe(status);
    expect(answer.json()).toEqual({ error, message: expect.stringMatching(message) });
  });

  it('refuses a body over the limit with 413, declared or chunked, and keeps serving', async () => {
    const big = JSON.stringify({ track_id: ID, padding: 'x'.repeat(20_000) });
    const declared = await json('POST', '/api/streaming/session', big);
    expect(declared.status).toBe(413);
    expect(declared.json()).toEqual({ error: 'E_BODY_TOO_LARGE', message: 'The request body is larger than 16384 bytes' });
    expect(declared.headers.connection).toBe('close');
    const chunked = await request(server.port, 'POST', '/api/streaming/session', { headers: { 'Transfer-Encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    expect((await request(server.port, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('GET /hls/:track_id/master.m3u8?session=ID', () => {
  it('lists the session\'s profile first, privately, and follows it when it changes', async () => {
    const { session_id } = (await createSession({ estimated_bandwidth_kbps: 200, connection_type: 'Wifi', device_type: 'Desktop' })).json();
    const master = await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=${session_id}`);
    expect(master.status).toBe(200);
    expect(master.headers).toMatchObject({ 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'private, no-cache' });
    const text = master.body.toString();
    expect(firstVariant(text)).toMatch(/^mobile\/playlist\.[0-9a-f]{12}\.m3u8$/);
    const packaged = readFileSync(join(out, ID, 'master.m3u8'), 'utf8');
    expect(text.split('\n').sort()).toEqual(packaged.split('\n').sort()); // the same variants, URIs still relative
    expect((await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=${session_id}`, { headers: { 'If-None-Match': master.headers.etag! } })).status).toBe(304);

    expect((await json('PUT', `/api/streaming/session/${session_id}/quality`, { quality: 'medium' })).json().current_quality).toBe('medium');
    expect(firstVariant((await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=${session_id}`)).body.toString())).toMatch(/^medium\/playlist\.[0-9a-f]{12}\.m3u8$/);

    // The MP3 profile lives in its own master: that one is the answer, whichever master was named.
    await json('PUT', `/api/streaming/session/${session_id}/quality`, { quality: 'low' });
    const mp3 = await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=${session_id}`);
    expect(mp3.body.toString()).toBe(readFileSync(join(out, ID, 'master-mp3.m3u8'), 'utf8'));
  });

  it('refuses an unknown session and a session of another track', async () => {
    const unknown = await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.json().error).toBe('E_UNKNOWN_SESSION');
    const { session_id } = (await createSession({}, OTHER)).json();
    const other = await request(server.port, 'GET', `/hls/${ID}/master.m3u8?session=${session_id}`);
    expect(other.status).toBe(400);
    expect(other.json()).toEqual({ error: 'E_FIELD', message: `Expected \`session\` to be a session of track "${ID}", got one of track "${OTHER}"` });
  });

  it('serves /stream/ at the session\'s quality', async () => {
    const { session_id } = (await createSession({ connection_type: 'Cellular2G' })).json();
    expect((await request(server.port, 'GET', `/stream/${ID}?session=${session_id}`, { headers: { Range: 'bytes=0-9' } })).headers['x-hlsaudio-quality']).toBe('mobile');
  });
});

describe('the session lifecycle', () => {
  it('takes quality changes and metrics, lets the monitor step down, reports stats, and ends', async () => {
    const created = (await createSession({ estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' })).json();
    const id = created.session_id;
    expect(created.initial_profile.quality_id).toBe('high');

    const unknownQuality = await json('PUT', `/api/streaming/session/${id}/quality`, { quality: 'ultra' });
    expect(unknownQuality.status).toBe(404);
    expect(unknownQuality.json()).toEqual({ error: 'E_UNKNOWN_QUALITY', message: 'Expected `quality` to be one of high, medium, low, mobile, got "ultra"' });
    expect((await json('PUT', `/api/streaming/session/${id}/quality`, { quality: 3 })).status).toBe(400);

    const report = { buffer_health_percentage: 90, download_speed_kbps: 3000, packet_loss_percentage: 0, latency_ms: 30, rebuffer_count: 0, rebuffer_duration_ms: 0 };
    const steady = await json('POST', `/api/streaming/session/${id}/metrics`, report);
    expect(steady.status).toBe(200);
    expect(steady.json()).toMatchObject({ current_quality: 'high', recommendation: null, performance_metrics: { ...report, quality_switches: 0 } });
    // A noisy moment does not switch; two bad reports in a row step down one profile.
    expect((await json('POST', `/api/streaming/session/${id}/metrics`, { ...report, buffer_health_percentage: 20 })).json().current_quality).toBe('high');
    expect((await json('POST', `/api/streaming/session/${id}/metrics`, { ...report, buffer_health_percentage: 50 })).json().current_quality).toBe('high');
    expect((await json('POST', `/api/streaming/session/${id}/metrics`, { ...report, buffer_health_percentage: 20 })).json().current_quality).toBe('high');
    const down = (await json('POST', `/api/streaming/session/${id}/metrics`, { ...report, buffer_health_percentage: 20 })).json();
    expect(down).toMatchObject({ current_quality: 'medium', recommendation: { from_quality: 'high', to_quality: 'medium', direction: 'down', reason: 'buffer_low', profile: { quality_id: 'medium' } } });
    // A stall steps down at once.
    const stalled = (await json('POST', `/api/streaming/session/${id}/metrics`, { ...report, rebuffer_count: 1, rebuffer_duration_ms: 1200 })).json();
    expect(stalled).toMatchObject({ current_quality: 'mobile', recommendation: { reason: 'rebuffer' }, performance_metrics: { quality_switches: 2 } });

    const badMetrics = await json('POST', `/api/streaming/session/${id}/metrics`, { buffer_health_percentage: 'full', download_speed_kbps: 1 });
    expect(badMetrics.json()).toEqual({ error: 'E_FIELD', message: 'Expected `buffer_health_percentage` to be a number from 0 to 100, got "full"' });

    const session = (await json('GET', `/api/streaming/session/${id}`)).json();
    expect(session).toMatchObject({ session_id: id, track_id: ID, client_id: '127.0.0.1', current_quality: 'mobile', client_capabilities: { connection_type: 'Ethernet' } });

    const stats = (await json('GET', '/api/streaming/stats')).json();
    expect(stats).toMatchObject({ quality_monitor_running: true, sessions_by_quality: expect.objectContaining({ mobile: expect.any(Number) }) });
    expect(stats.active_sessions).toBeGreaterThan(1);
    expect(stats.total_quality_switches).toBeGreaterThanOrEqual(2);
    expect(stats.total_rebuffers).toBeGreaterThanOrEqual(1);
    expect(stats.average_buffer_health_percentage).toEqual(expect.any(Number));

    const ended = await json('DELETE', `/api/streaming/session/${id}`);
    expect(ended.status).toBe(200);
    expect(ended.json().session_id).toBe(id);
    for (const [method, path] of [['GET', `/api/streaming/session/${id}`], ['DELETE', `/api/streaming/session/${id}`], ['POST', `/api/streaming/session/${id}/metrics`]] as const) {
      const gone = await json(method, path, method === 'POST' ? report : undefined);
      expect(gone.status).toBe(404);
      expect(gone.json().error).toBe('E_UNKNOWN_SESSION');
    }
    expect((await json('GET', '/api/streaming/stats')).json().sessions_ended).toBe(1);
  });
});
