import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll } from 'vitest';
import { freePort } from './redis.js';

/** Debian 12's PostgreSQL 15 (`apt-get install postgresql`; .ci/run installs it). */
const BIN = '/usr/lib/postgresql/15/bin';
/** BIGINT and NUMERIC as numbers, as the store reads them (pg gives strings). */
const NUMBERS = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};
/** The role initdb makes, with trust authentication: tests put a password in URLs only to see it masked. */
const ROLE = 'hls';

export interface PostgresServer {
  port: number;
  /** The data folder and the Unix socket's folder. */
  dir: string;
  /**
   * A new empty database; its URL (`postgres://hls:secret@127.0.0.1:port/name`). With `icuLocale`,
   * its text sorts by that language's rules (`en-US`: `_` before `-`), not byte by byte.
   */
  createDatabase(options?: { icuLocale?: string }): Promise<string>;
  /** A query on the database of `url`, through a connection of its own. */
  query<T = Record<string, unknown>>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (fast shutdown: connections are cut); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend: connections stay open, nothing
   * answers, as in a partition that sends no reset); the returned function thaws it (SIGCONT).
   */
  freeze(): () => void;
}

const running = new Set<{ stop: () => Promise<void>; dir: string }>();
afterAll(async () => {
  for (const server of running) {
    await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
  }
  running.clear();
});

/**
 * A real PostgreSQL 15 for one test file: initdb in a temporary folder, then `postgres` on a free
 * loopback port with its socket in that folder, fsync off. PostgreSQL refuses to run as root, so
 * when the tests run as root both run as the `postgres` system user (setpriv), who owns the folder.
 * Resolves once it accepts connections; stopped and removed after the file's tests.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hlsaudio-pg-'));
  const asUser = unprivileged();
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  const run = (command: string, args: string[]) => (asUser ? ['setpriv', [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', '--', command, ...args]] : [command, args]) as [string, string[]];
  await promisify(execFile)(...run(join(BIN, 'initdb'), ['-D', data, '-U', ROLE, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']), { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${dir}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'shared_buffers=16MB', 'max_connections=60'];
  const start = async () => {
    const proc = spawn(...run(join(BIN, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])]), { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    proc.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${output}`))));
    exited.catch(() => undefined);
    child = proc;
    await Promise.race([waitForConnection(port), exited]);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGINT');
    await gone;
  };
  await start();
  running.add({ stop, dir });
  let databases = 0;
  const query = async <T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url, types: NUMBERS });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    port,
    dir,
    createDatabase: async ({ icuLocale } = {}) => {
      databases += 1;
      const name = `analytics_${process.pid}_${databases}`;
      const collation = icuLocale === undefined ? '' : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icuLocale}'`;
      await query(`postgres://${ROLE}@127.0.0.1:${port}/postgres`, `CREATE DATABASE ${name}${collation}`);
      return `postgres://${ROLE}:secret@127.0.0.1:${port}/${name}`;
    },
    query,
    stop,
    start,
    freeze: () => {
      const postmaster = child?.pid;
      if (postmaster === undefined) throw new Error('postgres is not running');
      // The backends are the postmaster's children; a backend forked meanwhile would not be frozen, and none is.
      const pids = [postmaster, ...execFileSync('ps', ['--ppid', String(postmaster), '-o', 'pid='], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)];
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      return () => {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      };
    },
  };
}

/** The `postgres` system user when the tests run as root; undefined otherwise (PostgreSQL runs as the tester). */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('postgres:'));
  if (!entry) throw new Error('Tests run as root and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql makes one)');
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Resolves when a fresh connection is accepted (postgres takes a moment to be ready). */
async function waitForConnection(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: ROLE, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
