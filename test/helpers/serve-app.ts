import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startServeApp, type ServeApp, type ServeAppOptions } from '../../src/serve/app.js';
import { connect, type TestClient } from './realtime.js';
import { packageFixtures } from './serve.js';
import { tempDir } from './temp.js';
import { logTo } from '../../src/log.js';

/**
 * `startServeApp` in the test's process on a packaged folder: the sessions API, the event server and
 * the analytics together (a real HTTP server, real WebSocket connections, a real SQLite file).
 * Importing this packages the track once per test file and stops what it started after the file.
 */
export const TRACK = 'short-22k-stereo';
const out = join(tempDir(), 'out');
/** The packaged folder the apps of this file serve. */
export const OUT = out;
const apps: ServeApp[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  await packageFixtures(out, [`${TRACK}.wav`]);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const app of apps) await app.close();
});

export interface StartedApp {
  app: ServeApp;
  /** http://127.0.0.1:<port> */
  base: string;
  /** ws://127.0.0.1:<port>/api/ws */
  ws: string;
  /** What the app logged. */
  logs: string[];
}

/** The app on a free loopback port, with its own data folder and database. */
export async function startApp(options: Partial<ServeAppOptions> = {}): Promise<StartedApp> {
  const logs: string[] = [];
  const app = await startServeApp({ root: out, dataDir: tempDir(), dbFile: join(tempDir(), 'analytics.db'), logger: logTo((_level, line) => void logs.push(line)), ...options });
  apps.push(app);
  const { port } = await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/api/ws`, logs };
}

/** A JSON request. */
export function send(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
}

export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) test';

/** A streaming session of TRACK, and a WebSocket connection that named it and plays the track: an analytics play. */
export async function listen(started: StartedApp, query: Record<string, string> = { user_id: 'listener-1' }): Promise<{ sessionId: string; client: TestClient }> {
  const created = await send(started.base, 'POST', '/api/streaming/session', { track_id: TRACK, client_capabilities: { estimated_bandwidth_kbps: 2000, connection_type: 'Ethernet', device_type: 'Desktop' } });
  expect(created.status).toBe(201);
  const { session_id: sessionId } = (await created.json()) as { session_id: string };
  const client = await connect(started.ws, { ...query, session_id: sessionId }, { 'User-Agent': BROWSER });
  clients.push(client);
  expect((await client.command({ command: 'Play', track_id: TRACK })).success).toBe(true);
  return { sessionId, client };
}

/** The track's analytics, once what was recorded is written. */
export async function trackDetails(started: StartedApp, headers: Record<string, string> = {}): Promise<any> {
  await started.app.analytics.flush();
  const answer = await fetch(`${started.base}/api/analytics/tracks/${TRACK}`, { headers });
  expect(answer.status).toBe(200);
  return answer.json();
}

/** A metrics report of a player doing well. */
export const GOOD_REPORT = { buffer_health_percentage: 90, download_speed_kbps: 3000, packet_loss_percentage: 0, latency_ms: 30 };
