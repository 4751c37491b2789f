import { afterAll, describe, expect, it } from 'vitest';
import { createHlsServer } from '../../../src/serve/server.js';
import { sendJson } from '../../../src/http/reply.js';
import { tempDir } from '../../helpers/temp.js';
import { logTo } from '../../../src/log.js';

describe('createHlsServer: what the WebSocket and analytics servers build on', async () => {
  const errors: string[] = [];
  const hls = await createHlsServer({ root: tempDir(), logger: logTo((_level, message) => void errors.push(message)) });
  const { port } = await hls.listen(0, '127.0.0.1');
  afterAll(() => hls.close());
  const base = `http://127.0.0.1:${port}`;

  it('takes more routes, the player page at / among them, with CORS and JSON errors like its own', async () => {
    hls.router.add('GET', '/api/analytics/summary', ({ res, query }) => sendJson(res, 200, { plays: Number(query.get('n')) }));
    hls.router.add('GET', '/', ({ res }) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>player</title>');
    });
    const summary = await fetch(`${base}/api/analytics/summary?n=3`);
    expect(await summary.json()).toEqual({ plays: 3 });
    expect(summary.headers.get('access-control-allow-origin')).toBe('*');
    expect(await (await fetch(`${base}/`)).text()).toContain('player');
    expect((await fetch(`${base}/api/analytics/summary`, { method: 'POST' })).status).toBe(405);
  });

  it('leaves the upgrade event to others', () => {
    expect(hls.server.listenerCount('upgrade')).toBe(0);
  });

  it('answers a route that throws with a 500 that names nothing, logs it, and keeps serving', async () => {
    hls.router.add('GET', '/boom', () => {
      throw new Error('/secret/path exploded');
    });
    const answer = await fetch(`${base}/boom`);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({ error: 'E_INTERNAL', message: 'The server could not answer this request; its log says why' });
    expect(errors.join('\n')).toContain('/secret/path exploded');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers /catalog.json with 404 when the folder has none', async () => {
    expect(await (await fetch(`${base}/catalog.json`)).json()).toEqual({ error: 'E_NOT_FOUND', message: 'This folder has no catalog.json; `hlsaudio catalog <dir>` writes it' });
  });

  it('refuses a second listen on the same port with E_LISTEN', async () => {
    const other = await createHlsServer({ root: tempDir() });
    await expect(other.listen(port, '127.0.0.1')).rejects.toMatchObject({ code: 'E_LISTEN', message: `Cannot listen on 127.0.0.1:${port}: port ${port} is taken on 127.0.0.1; choose another with --port (0 takes a free one)` });
    await expect(other.listen(0, '192.0.2.1')).rejects.toMatchObject({ code: 'E_LISTEN', message: 'Cannot listen on 192.0.2.1:0: 192.0.2.1 is not an address of this machine' });
    await other.close();
  });

  it('adds its base headers to implicit heads and leaves a route\'s own alone', async () => {
    hls.router.add('GET', '/implicit', ({ res }) => void res.end('x'));
    hls.router.add('GET', '/own-cors', ({ res }) => {
      res.setHeader('Access-Control-Allow-Origin', 'https://only.example');
      res.end('y');
    });
    const implicit = await fetch(`${base}/implicit`);
    expect(implicit.headers.get('access-control-allow-origin')).toBe('*');
    expect(implicit.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${base}/own-cors`)).headers.get('access-control-allow-origin')).toBe('https://only.example');
  });
});

describe('createHlsServer with one allowed origin', async () => {
  const hls = await createHlsServer({ root: tempDir(), corsOrigin: 'https://app.example' });
  const { port } = await hls.listen(0, '127.0.0.1');
  afterAll(() => hls.close());

  it('names it and varies on Origin beside the answer\'s own Vary', async () => {
    hls.router.add('GET', '/varied', ({ res }) => {
      res.writeHead(200, { Vary: 'Accept-Encoding' });
      res.end();
    });
    const answer = await fetch(`http://127.0.0.1:${port}/varied`);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(answer.headers.get('vary')).toBe('Origin, Accept-Encoding');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).headers.get('vary')).toBe('Origin');
  });
});
