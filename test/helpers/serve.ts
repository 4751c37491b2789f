import { type ChildProcess, spawn } from 'node:child_process';
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli } from './cli.js';

/** Packages fixtures into `out` with the real CLI (the default ladder). */
export async function packageFixtures(out: string, names: string[]): Promise<void> {
  const result = await runCli(['package', ...names.map((name) => join(FIXTURES, name)), '-o', out, '--quiet']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Sends a signal and resolves with the exit status and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Omit<RunningServer, 'port'>>();

/** Stops every server startServe started and that still runs: each test file calls it in its top-level afterAll. */
export async function stopServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/**
 * Starts `hlsaudio serve <dir> --port 0 --host 127.0.0.1` (other engineers' tests share this machine:
 * always a free port, always loopback) and reads the port from the startup line.
 */
export function startServe(dir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0', '--host', '127.0.0.1', ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const server: Omit<RunningServer, 'port'> = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(server);
  void exited.then(() => running.delete(server));
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /at http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
      if (match) resolve({ ...server, port: Number(match[1]) });
    });
    void exited.then(({ code }) => reject(new Error(`hlsaudio serve exited with ${code} before listening: ${stderr}`)));
  });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: () => any;
  /** Whether the request went on a kept-alive connection of `agent`. */
  reusedSocket: boolean;
}

/** One HTTP request with node:http, bytes as they came (no decompression), the path sent as given. */
export function request(port: number, method: string, path: string, options: { headers?: Record<string, string | number>; body?: string | Buffer; agent?: Agent } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')), reusedSocket: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Bytes written straight to a socket, for requests node:http refuses to send; resolves with what came back. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
