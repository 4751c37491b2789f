import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { attachRealtime, type RealtimeDeps, type RealtimeOptions, type RealtimeServer, type TrackDirectory, type TrackSummary } from '../../src/realtime/index.js';
import type { ClientCommand, CommandResponse, ServerEvent } from '../../src/realtime/protocol.js';
import { tempDir } from './temp.js';
import { logTo } from '../../src/log.js';

/** An in-memory catalog for tests that do not need packaged audio. */
export function memoryTracks(tracks: Record<string, TrackSummary>): TrackDirectory {
  return { get: (trackId) => tracks[trackId] };
}

export const TRACKS = memoryTracks({
  'song-a': { title: 'Song A', artist: 'Artist A', duration_ms: 210_000, default_quality: 'high' },
  'song-b': { title: 'Song B', artist: null, duration_ms: 180_000, default_quality: 'high' },
  'song-c': { title: 'Song C', artist: 'Artist C', duration_ms: 90_000, default_quality: 'medium' },
});

export interface RealtimeHarness {
  server: Server;
  realtime: RealtimeServer;
  /** ws://127.0.0.1:<port>/api/ws */
  wsUrl: string;
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  dataDir: string;
  logs: string[];
  /** Closes the event server, then the HTTP server. */
  stop(): Promise<void>;
}

/**
 * A real HTTP server on an ephemeral loopback port with the event server mounted, and
 * `POST /api/events` routed as serve does. Other engineers run tests on this machine: never a fixed port.
 */
export async function startRealtime(setup: { deps?: Partial<RealtimeDeps>; options?: RealtimeOptions; dataDir?: string } = {}): Promise<RealtimeHarness> {
  const dataDir = setup.dataDir ?? tempDir('hlsaudio-realtime-');
  const logs: string[] = [];
  let realtime: RealtimeServer | undefined;
  const server = createServer((req, res) => {
    if (realtime && new URL(req.url ?? '/', 'http://x').pathname === '/api/events') {
      void realtime.handleEvents(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  realtime = await attachRealtime(server, { tracks: TRACKS, dataDir, logger: logTo((_level, line) => void logs.push(line)), ...setup.deps }, setup.options);
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  return {
    server,
    realtime,
    wsUrl: `ws://127.0.0.1:${port}/api/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    dataDir,
    logs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await realtime!.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** startRealtime for one test: every harness it starts is stopped after each test of the file. */
export function startRealtimePerTest(): typeof startRealtime {
  const harnesses: RealtimeHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.stop()));
  });
  return async (...args) => {
    const harness = await startRealtime(...args);
    harnesses.push(harness);
    return harness;
  };
}

/** A ws client that records every event and can wait for one. */
export class TestClient {
  readonly events: ServerEvent[] = [];
  /** The text of every message, as it came. */
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (event: ServerEvent) => boolean; resolve: (event: ServerEvent) => void }[] = [];
  private next = 0;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.raw.push(data.toString());
      const event = JSON.parse(data.toString()) as ServerEvent;
      this.events.push(event);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(event)) return true;
        waiter.resolve(event);
        return false;
      });
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The first event (already received or coming) that matches. */
  waitFor<E extends ServerEvent>(match: (event: ServerEvent) => event is E, timeoutMs?: number): Promise<E>;
  waitFor(match: (event: ServerEvent) => boolean, timeoutMs?: number): Promise<ServerEvent>;
  waitFor(match: (event: ServerEvent) => boolean, timeoutMs = 3000): Promise<ServerEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** Sends a raw text frame. */
  sendRaw(text: string | Buffer, binary = false): void {
    this.socket.send(text, { binary });
  }

  /** Sends a command (command_id generated when absent) and waits for its CommandResponse. */
  async command(command: Record<string, unknown> & { command: ClientCommand['command'] }, timeoutMs?: number): Promise<CommandResponse> {
    const commandId = (command.command_id as string | undefined) ?? `t${++this.next}`;
    this.sendRaw(JSON.stringify({ ...command, command_id: commandId }));
    return this.waitFor((event): event is CommandResponse => event.event === 'CommandResponse' && event.command_id === commandId, timeoutMs);
  }

  /** Events of one name received so far. */
  named<K extends ServerEvent['event']>(name: K): Extract<ServerEvent, { event: K }>[] {
    return this.events.filter((event) => event.event === name) as Extract<ServerEvent, { event: K }>[];
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
    return this.closed;
  }
}

/** Opens a connection; rejects with `HTTP <status> <body>` when the upgrade is refused. */
export function connect(wsUrl: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TestClient> {
  const url = new URL(wsUrl);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const socket = new WebSocket(url, { headers });
  const client = new TestClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode} ${body}`), { status: res.statusCode, body, headers: res.headers })));
    });
    socket.once('error', reject);
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true (or fails after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** `until` for a check that must wait for something (an HTTP answer, a Redis read). */
export async function untilAsync(check: () => Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}
