import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { untilAsync } from './realtime.js';
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
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const dir = tempDir('hlsaudio-redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = await spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...extraArgs], port);
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

/** redis-server with these arguments, once it answers PING on `port`. */
async function spawnRedis(args: string[], port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`))));
  exited.catch(() => {});
  await Promise.race([waitForPong(port), exited]);
  return proc;
}

export interface SentinelGroup {
  /** The master's name in the sentinels' configuration. */
  name: string;
  master: RedisServer;
  replica: RedisServer;
  /** Admin clients of the sentinels (SENTINEL FAILOVER, SENTINEL GET-MASTER-ADDR-BY-NAME). */
  sentinels: Redis[];
  /** `redis+sentinel://127.0.0.1:<s1>,…/<name>`. */
  url: string;
  /** Port of the server the sentinels name as master now. */
  masterPort(): Promise<number>;
}

/**
 * A master, a replica (`--replicaof`) and `count` sentinels (`redis-server <conf> --sentinel`, each
 * with its own writable configuration file, which Sentinel rewrites) monitoring them as `m` with a
 * quorum of 1. Resolves once every sentinel knows the replica, so SENTINEL FAILOVER can pick it.
 */
export async function startSentinelGroup(count = 1): Promise<SentinelGroup> {
  const name = 'm';
  const master = await startRedis();
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(master.port)]);
  await untilAsync(async () => /master_link_status:up/.test(await replica.admin.info('replication')), 10_000, 'the replica to sync with the master');
  const ports: number[] = [];
  const sentinels: Redis[] = [];
  for (let i = 0; i < count; i++) {
    const dir = tempDir('hlsaudio-sentinel-');
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`, ''].join('\n'));
    const proc = await spawnRedis([conf, '--sentinel', '--loglevel', 'warning'], port);
    const admin = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: null });
    admin.on('error', () => {});
    ports.push(port);
    sentinels.push(admin);
    sentinelProcesses.add({ proc, admin });
  }
  for (const sentinel of sentinels) {
    await untilAsync(async () => {
      const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as string[][];
      return replicas.some((fields) => fields[fields.indexOf('port') + 1] === String(replica.port) && fields[fields.indexOf('flags') + 1] === 'slave');
    }, 10_000, 'the sentinel to know the replica');
  }
  return {
    name,
    master,
    replica,
    sentinels,
    url: `redis+sentinel://${ports.map((port) => `127.0.0.1:${port}`).join(',')}/${name}`,
    masterPort: async () => Number(((await sentinels[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[])[1]),
  };
}

const sentinelProcesses = new Set<{ proc: ChildProcess; admin: Redis }>();
afterAll(async () => {
  await Promise.all([...sentinelProcesses].map(async ({ proc, admin }) => {
    admin.disconnect();
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await gone;
  }));
  sentinelProcesses.clear();
});

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

/**
 * A redis-server and two nodes on it, started before the tests of the describe block that calls this
 * (each test file starts its nodes its own way); the tests read the fields.
 */
export function twoNodesOnRedis<Node>(startNode: (redis: RedisServer) => Promise<Node>): { redis: RedisServer; a: Node; b: Node } {
  const nodes = {} as { redis: RedisServer; a: Node; b: Node };
  beforeAll(async () => {
    nodes.redis = await startRedis();
    [nodes.a, nodes.b] = await Promise.all([startNode(nodes.redis), startNode(nodes.redis)]);
  });
  return nodes;
}
