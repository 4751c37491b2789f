import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsHandlers } from '../../../src/analytics/http.js';
import { openStore, play, T0 } from '../../helpers/analytics.js';

/** The two routes on a real server, as the serve router registers them; real requests with fetch. */
describe('analytics HTTP handlers', () => {
  const { store, clock } = openStore();
  const handlers = analyticsHandlers(store, { trackExists: async (id) => id === 'in-catalog' });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const id = store.startPlaySession(play({ trackId: 'alpha' }));
    clock.advance(30_000);
    store.updatePlayProgress(id, 30_000, 88);
    store.endPlaySession(id);
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const track = /^\/api\/analytics\/tracks\/([^/]+)$/.exec(path);
      if (path === '/api/analytics/summary') return void handlers.summary(req, res, {});
      if (track) return void handlers.track(req, res, { id: decodeURIComponent(track[1]!) });
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  async function get(path: string, method = 'GET'): Promise<{ status: number; type: string | null; cache: string | null; body: unknown; text: string }> {
    const response = await fetch(base + path, { method });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), body: text ? JSON.parse(text) : undefined, text };
  }

  it('answers the summary as JSON', async () => {
    const { status, type, cache, body } = await get('/api/analytics/summary');
    expect(status).toBe(200);
    expect(type).toBe('application/json; charset=utf-8');
    expect(cache).toBe('no-store');
    expect(body).toMatchObject({
      since: null,
      totals: { plays: 1, ended_plays: 1, listened_ms: 30_000, average_buffer_health: 88, completion_rate: 0 },
      quality_distribution: [{ quality: 'high', listened_ms: 30_000, share: 1 }],
      tracks: [{ track_id: 'alpha', plays: 1 }],
      track_count: 1,
    });
  });

  it('takes since and until as epoch ms or ISO 8601, and limit', async () => {
    const within = await get(`/api/analytics/summary?since=${T0}&until=2024-01-02`);
    expect(within.status).toBe(200);
    expect(within.body).toMatchObject({ since: '2024-01-01T00:00:00.000Z', until: '2024-01-02T00:00:00.000Z', totals: { plays: 1 } });
    const after = await get('/api/analytics/summary?since=2024-01-01T00:00:00.001Z&limit=5');
    expect(after.body).toMatchObject({ totals: { plays: 0 }, tracks: [] });
    const offset = await get('/api/analytics/summary?since=2024-01-01T01:00:00%2B01:00');
    expect(offset.body).toMatchObject({ since: '2024-01-01T00:00:00.000Z', totals: { plays: 1 } });
  });

  it.each([
    ['since=yesterday', 'Expected `since` to be epoch milliseconds or an ISO 8601 date (2025-06-01 or 2025-06-01T12:00:00Z), got "yesterday"'],
    ['since=2024-01-01T10:00', 'Expected `since` to be epoch milliseconds or an ISO 8601 date (2025-06-01 or 2025-06-01T12:00:00Z), got "2024-01-01T10:00"'],
    ['since=2024-02-01&until=2024-01-01', 'Expected `until` to be later than `since` (2024-02-01), got "2024-01-01"'],
    ['limit=0', 'Expected `limit` to be an integer from 1 to 1000, got "0"'],
    ['limit=ten', 'Expected `limit` to be an integer from 1 to 1000, got "ten"'],
    ['sinse=2024-01-01', 'Expected `sinse` to be a known query parameter (since, until, limit), got "2024-01-01"'],
    ['since=1&since=2', 'Expected `since` to be given once, got "1,2"'],
  ])('answers 400 to ?%s', async (query, message) => {
    const { status, type, body } = await get(`/api/analytics/summary?${query}`);
    expect(status).toBe(400);
    expect(type).toBe('application/json; charset=utf-8');
    expect(body).toEqual({ error: 'E_FIELD', message });
  });

  it('answers a track played', async () => {
    const { status, body } = await get('/api/analytics/tracks/alpha');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      track_id: 'alpha',
      totals: { plays: 1, listened_ms: 30_000 },
      platforms: [{ platform: 'Web', plays: 1, listened_ms: 30_000 }],
      recent_sessions: [{ track_id: 'alpha', listened_ms: 30_000, end_reason: 'Ended' }],
    });
  });

  it('answers zeros for a catalog track never played, 404 for any other track', async () => {
    const known = await get('/api/analytics/tracks/in-catalog');
    expect(known.status).toBe(200);
    expect(known.body).toMatchObject({ track_id: 'in-catalog', totals: { plays: 0 }, recent_sessions: [] });
    const unknown = await get('/api/analytics/tracks/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'E_UNKNOWN_TRACK', message: 'No track "nope" has analytics' });
    const notAnId = await get('/api/analytics/tracks/..%2Fetc');
    expect(notAnId.status).toBe(404);
    expect(notAnId.body).toEqual({ error: 'E_UNKNOWN_TRACK', message: 'No track "../etc" has analytics' });
  });

  it('answers 400 to a bad range on a track, and accepts only since and until there', async () => {
    expect((await get('/api/analytics/tracks/alpha?until=soon')).status).toBe(400);
    expect((await get('/api/analytics/tracks/alpha?limit=3')).body).toEqual({
      error: 'E_FIELD',
      message: 'Expected `limit` to be a known query parameter (since, until), got "3"',
    });
  });

  it('answers HEAD with the headers and no body', async () => {
    const { status, type, text } = await get('/api/analytics/summary', 'HEAD');
    expect(status).toBe(200);
    expect(type).toBe('application/json; charset=utf-8');
    expect(text).toBe('');
  });

  it('answers 503 once the store is closed', async () => {
    const { store: closed } = openStore();
    closed.close();
    const handler = analyticsHandlers(closed).summary;
    const other = createServer((req, res) => void handler(req, res, {}));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/api/analytics/summary`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'E_ANALYTICS_CLOSED', message: 'The analytics store is closed' });
    await new Promise((resolve) => other.close(resolve));
  });
});
