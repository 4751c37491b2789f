import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from './redis.js';
import { tempDir } from './temp.js';

export interface NginxServer {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The configuration written, for a failing test's message. */
  config: string;
  /** What nginx logged (warnings and errors: an upstream refused, marked down…). */
  errorLog(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Loopback ports of the `serve` nodes, balanced round robin. */
  upstreams: number[];
  /** A node that failed this many times within failTimeoutSec is left out for failTimeoutSec (nginx's `max_fails`). */
  maxFails?: number;
  failTimeoutSec?: number;
}

const NGINX = '/usr/sbin/nginx';
const running = new Set<NginxServer>();
afterAll(async () => {
  await Promise.all([...running].map((server) => server.stop()));
});

/**
 * Debian's nginx as the load balancer in front of `serve` nodes, for one test file: its own prefix,
 * configuration, logs, pid and temporary folders in a temporary folder, `daemon off` so that it is
 * this process's child, on a free loopback port. Every answer names the node that gave it in
 * `X-Upstream` (nginx's `$upstream_addr`), WebSocket upgrades included, so a test knows which node
 * it reached. The proxy settings are the ones README "Running several nodes" recommends.
 */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const dir = tempDir('hlsaudio-nginx-');
  const port = await freePort();
  const config = nginxConfig(dir, port, options);
  writeFileSync(join(dir, 'nginx.conf'), config);
  // -e: the log of the start itself, before the configuration's error_log applies.
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const server: NginxServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    config,
    errorLog,
    stop: async () => {
      running.delete(server);
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGQUIT: graceful (lets the proxied WebSockets close); SIGTERM after a second.
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGTERM'), 1000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(server);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`nginx did not start: ${output}${errorLog()}\n${config}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server;
}

function nginxConfig(dir: string, port: number, { upstreams, maxFails = 1, failTimeoutSec = 10 }: NginxOptions): string {
  const path = (name: string) => join(dir, name);
  return `# Written by test/helpers/nginx.ts
daemon off;
${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${path('nginx.pid')};
error_log ${path('error.log')} warn;
events { worker_connections 4096; }
http {
  access_log ${path('access.log')};
  client_body_temp_path ${path('client_body')};
  proxy_temp_path ${path('proxy')};
  fastcgi_temp_path ${path('fastcgi')};
  uwsgi_temp_path ${path('uwsgi')};
  scgi_temp_path ${path('scgi')};

  upstream hlsaudio {
    # Round robin. A node that fails (refused, reset, timed out) max_fails times within
    # fail_timeout is left out for fail_timeout, then tried again.
${upstreams.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=${maxFails} fail_timeout=${failTimeoutSec}s;`).join('\n')}
    keepalive 32;
  }

  # A WebSocket upgrade is passed on as one; any other request keeps the upstream connection alive.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }

  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://hlsaudio;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # An idle WebSocket is kept: serve pings every 30 s and closes idle clients itself.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_connect_timeout 2s;
      # A request a node could not take (refused, reset before answering, timed out, or 503 for
      # full or shutting down) goes to the next node; a POST that reached a node is never sent twice.
      proxy_next_upstream error timeout http_503;
      proxy_next_upstream_tries 2;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
