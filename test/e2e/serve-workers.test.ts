import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connect, type TestClient, until } from '../helpers/realtime.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { packageFixtures, request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve --workers 2 --redis`: the real CLI forks two workers with node:cluster on one port, each
 * a node on a real redis-server started here.
 */
const out = join(tempDir(), 'out');
let redis: RedisServer;
let trackId: string;

afterAll(stopServers);
beforeAll(async () => {
  [redis] = await Promise.all([startRedis(), packageFixtures(out, ['short-22k-stereo.wav'])]);
  trackId = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')).tracks[0].id;
});

function startWorkers(extra: string[] = [], dataDir = tempDir('hlsaudio-workers-')): Promise<RunningServer> {
  return startServe(out, ['--workers', '2', '--redis', redis.url, '--data-dir', dataDir, ...extra]);
}

/** The worker processes: the primary's children. */
function workerPids(primary: RunningServer): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(primary.child.pid), '-o', 'pid='], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number).sort();
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The boot ids seen on `requests` fresh connections: one per worker process that answered. */
async function bootIds(server: RunningServer, requests: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < requests; i++) ids.add((await request(server.port, 'GET', '/healthz')).json().boot_id);
  return ids;
}

/**
 * Two clients on different workers: a client alone on its process (`current_connections` 1 while
 * the first is open) is on the other one. Extra clients opened on the way are closed.
 */
async function clientsOnBothWorkers(server: RunningServer): Promise<[TestClient, TestClient]> {
  const url = `ws://127.0.0.1:${server.port}/api/ws`;
  const first = await connect(url, { user_id: 'ana' });
  const extras: TestClient[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const next = await connect(url, { user_id: 'bob' });
    const status = await next.command({ command: 'GetStatus' });
    if ((status.data as { server: { current_connections: number } }).server.current_connections === 1) {
      await Promise.all(extras.map((extra) => extra.close()));
      return [first, next];
    }
    extras.push(next);
  }
  throw new Error('20 connections all landed on the first client\'s worker');
}

describe('serve --workers', () => {
  it('refuses to start without --redis, naming the option and why', async () => {
    const result = await runCli(['serve', out, '--workers', '2', '--port', '0'], { env: { HLSAUDIO_REDIS_URL: '' } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'hlsaudio: Expected `--workers` to come with `--redis <url>` (or HLSAUDIO_REDIS_URL), got no Redis URL: each worker is a process of its own, and only a shared Redis carries the events between them\n',
    );
  });

  it('refuses a bad worker count', async () => {
    const result = await runCli(['serve', out, '--workers', 'many', '--redis', redis.url, '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hlsaudio: Expected `--workers` to be an integer from 1 to 64, or auto, got "many"\n');
  });

  it('exits with the worker\'s error, once, when the workers cannot start (Redis unreachable)', async () => {
    const result = await runCli(['serve', out, '--workers', '2', '--redis', 'redis://127.0.0.1:1', '--port', '0']);
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('hlsaudio: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n');
  });

  describe('two workers on one port', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startWorkers();
    });

    it('prints one startup line for both, and both answer on the port', async () => {
      expect(server.stdout().match(/hlsaudio serve: .* at http:/g)).toHaveLength(1);
      expect(server.stdout()).toContain('(2 workers, player: /');
      expect(workerPids(server)).toHaveLength(2);
      expect((await bootIds(server, 20)).size).toBe(2);
    });

    it('gives each worker its own node id on the shared Redis', async () => {
      const list = String(await redis.admin.call('CLIENT', 'LIST', 'TYPE', 'normal'));
      const readers = new Set([...list.matchAll(/ name=hlsaudio-reader-(worker-\d+-\w+)/g)].map((match) => match[1]));
      expect(readers.size).toBe(2);
    });

    it('delivers a client\'s event on one worker to a subscriber on the other', async () => {
      const [player, listener] = await clientsOnBothWorkers(server);
      expect((await listener.command({ command: 'Subscribe', events: ['PlaybackStarted'], filters: {} })).success).toBe(true);
      expect((await player.command({ command: 'Play', track_id: trackId })).success).toBe(true);
      const started = await listener.waitFor((event) => event.event === 'PlaybackStarted', 5000);
      expect(started).toMatchObject({ event: 'PlaybackStarted', user_id: 'ana', track_id: trackId });
      await Promise.all([player.close(), listener.close()]);
    });

    it('replaces a worker killed with SIGKILL, and logs it once', async () => {
      const before = workerPids(server);
      const victim = before[0]!;
      process.kill(victim, 'SIGKILL');
      await until(() => /worker \d is back/.test(server.stderr()), 10_000, 'the replacement worker');
      expect(server.stderr().match(new RegExp(`\\(pid ${victim}\\) was killed by SIGKILL; starting another in 500 ms`, 'g'))).toHaveLength(1);
      const after = workerPids(server);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(victim);
      expect((await bootIds(server, 20)).size).toBe(2);
    });
  });

  it('stops every worker on SIGINT: clients get 1001, one "stopped" line, each worker\'s stats in its own file, no process left', async () => {
    const dataDir = tempDir('hlsaudio-workers-');
    const server = await startWorkers([], dataDir);
    const pids = workerPids(server);
    expect(pids).toHaveLength(2);
    const clients = await clientsOnBothWorkers(server);
    const closes = Promise.all(clients.map((client) => client.closed));
    expect(await server.stop('SIGINT')).toEqual({ code: 130, signal: null });
    expect((await closes).map((close) => close.code)).toEqual([1001, 1001]);
    expect(server.stdout().match(/hlsaudio serve: stopped/g)).toHaveLength(1);
    await until(() => !pids.some(alive), 5000, 'the workers to exit');
    // A client on each worker: each file counts its worker's, none overwrote the other.
    expect(readdirSync(dataDir).filter((name) => name.startsWith('realtime-stats')).sort()).toEqual(['realtime-stats.worker-1.json', 'realtime-stats.worker-2.json']);
    for (const name of ['realtime-stats.worker-1.json', 'realtime-stats.worker-2.json']) {
      const stats = JSON.parse(readFileSync(join(dataDir, name), 'utf8'));
      expect(stats).toMatchObject({ closed_at: expect.any(String) });
      expect(stats.total_connections).toBeGreaterThanOrEqual(1);
    }
  });
});
