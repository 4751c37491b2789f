import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { runCli } from '../helpers/cli.js';
import { packageFixtures, request, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

const work = tempDir();
const out = join(work, 'out');

afterAll(stopServers);

beforeAll(async () => {
  await packageFixtures(out, ['short-22k-stereo.wav']);
});

describe('hlsaudio serve: the command', () => {
  it('refuses a folder that is not an output folder, and one that does not exist (exit 4)', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'hello');
    const notOutput = await runCli(['serve', empty, '--port', '0']);
    expect(notOutput.code).toBe(4);
    expect(notOutput.stderr).toBe(`hlsaudio: ${empty} is not an hlsaudio output folder (no catalog.json, no track folder with a track.json); write one with \`hlsaudio package <sources> -o ${empty}\`\n`);
    const missing = await runCli(['serve', join(work, 'missing'), '--port', '0']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe(`hlsaudio: ${join(work, 'missing')}: no such folder; serve a folder written by \`hlsaudio package … -o <dir>\`\n`);
  });

  it('refuses a folder with track folders but no catalog.json (exit 4), and says how to write it', async () => {
    const merged = join(work, 'merged');
    cpSync(out, merged, { recursive: true });
    rmSync(join(merged, 'catalog.json'));
    const result = await runCli(['serve', merged, '--port', '0']);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(`hlsaudio: ${merged} has track folders but no readable catalog.json; write it with \`hlsaudio catalog ${merged}\`\n`);
    writeFileSync(join(merged, 'catalog.json'), '{"schema": 1, "tracks": ');
    expect((await runCli(['serve', merged, '--port', '0'])).stderr).toBe(result.stderr);
    // What the message says to run makes it servable.
    expect((await runCli(['catalog', merged])).code).toBe(0);
    const server = await startServe(merged);
    expect((await request(server.port, 'GET', '/catalog.json')).status).toBe(200);
    await server.stop();
  });

  it('refuses a bad port (exit 2)', async () => {
    const result = await runCli(['serve', out, '--port', 'http']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hlsaudio: Expected `--port` to be an integer from 0 to 65535, got "http"\n');
    expect((await runCli(['serve', out, '--port', '70000'])).stderr).toBe('hlsaudio: Expected `--port` to be an integer from 0 to 65535, got "70000"\n');
    expect((await runCli(['serve', out, '--media-cache', '-1'])).stderr).toBe('hlsaudio: Expected `--media-cache` to be a number from 0 to 1048576, got "-1"\n');
  });

  it('says so when the port is taken (exit 1)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['serve', out, '--port', String(port), '--host', '127.0.0.1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`hlsaudio: Cannot listen on 127.0.0.1:${port}: port ${port} is taken on 127.0.0.1; choose another with --port (0 takes a free one)\n`);
    } finally {
      blocker.close();
    }
  });

  it('stops on SIGTERM after answering the request in flight, and on SIGINT', async () => {
    const server = await startServe(out);
    expect((await request(server.port, 'GET', '/healthz')).status).toBe(200);
    const low = (JSON.parse(readFileSync(join(out, 'short-22k-stereo', 'track.json'), 'utf8')) as TrackInfo).variants.find((v) => v.quality_id === 'low')!.file;
    const inFlight = request(server.port, 'GET', `/hls/short-22k-stereo/${low}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [answer, exit] = await Promise.all([inFlight, server.stop('SIGTERM')]);
    expect(answer.status).toBe(200);
    expect(exit).toEqual({ code: 143, signal: null });
    expect(server.stdout()).toMatch(/hlsaudio serve: stopped\n$/);
    expect(server.stderr()).toBe('');
    const second = await startServe(out);
    expect(await second.stop('SIGINT')).toEqual({ code: 130, signal: null });
  });

  it('lists serve in --help with its options', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--port <n>', '--host <address>', '--media-cache <MiB>', '(default: "8082")', '(default: "127.0.0.1")']) expect(help.stdout).toContain(option);
    expect((await runCli(['--help'])).stdout).toContain('serve [options] [dir]');
  });
});
