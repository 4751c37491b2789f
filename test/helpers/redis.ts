import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { tempDir } from './temp.js';

export interface RedisServer {
  port: number;
  url: string;
  /** A plain ioredis client for the test (CLIENT KILL, XLEN…); it reconnects after a restart. */
  admin: Redis;
  /** SIGSTOP: Redis holds its connections and answers nothing until resume(). */
  pause(): void;
  resume(): void;
  /** Stops redis-server (SIGTERM; no persistence, so its data is gone). */
  stop(): Promise<void>;
  /** Starts a fresh redis-server on the same port (empty: a restart without persistence). */
  start(): Promise<void>;
}

const running = new Set<RedisServer>();
afterAll(async () => {
  await Promise.all([...running].map(async (server) => {
    server.admin.disconnect();
    await server.stop();
  }));
  running.clear();
});

/** A port nobody listens on now (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real redis-server for one test file, on a free loopback port in a temporary folder, with no
 * persistence. Resolves once it answers PING; stopped after the file's tests.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = tempDir('hlsaudio-redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    proc.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`))));
    child = proc;
    await Promise.race([waitForPong(port), exited]);
  };
  await launch();
  const admin = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: null });
  admin.on('error', () => {});
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    admin,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: async () => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      await gone;
    },
    start: launch,
  };
  running.add(server);
  return server;
}

/** Resolves when a fresh connection gets +PONG (redis-server takes a moment to listen). */
async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
