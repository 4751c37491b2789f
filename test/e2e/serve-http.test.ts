import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { rebuildCatalog } from '../../src/catalog/store.js';
import { id3TagLength } from '../../src/hls/id3.js';
import { readMediaPlaylist } from '../../src/hls/parse.js';
import { decode, durationOf } from '../helpers/media.js';
import { packageFixtures, rawRequest, request, type RunningServer, startServe, stopServers } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

const work = tempDir();
const out = join(work, 'out');
const outside = join(work, 'outside');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-FOLDER';
const ID = 'wav-44k-stereo';
let server: RunningServer;
let track: TrackInfo;
const get = (path: string, headers: Record<string, string> = {}) => request(server.port, 'GET', path, { headers });
const file = (relative: string) => readFileSync(join(out, relative));
/** A variant's media file or playlist as track.json names it (content-addressed), relative to the track folder. */
const variantFile = (quality: string, which: 'file' | 'playlist' = 'file') => track.variants.find((v) => v.quality_id === quality)![which];
/** The made-up content-addressed name of the linked track's high media file, a symlink to a file outside. */
const LINKED_MEDIA = 'high/audio.0123456789ab.aac';

afterAll(stopServers);

beforeAll(async () => {
  await packageFixtures(out, [`${ID}.wav`]);
  track = JSON.parse(file(`${ID}/track.json`).toString()) as TrackInfo;
  // Symlinks that point out of the folder: a listed media file, and a whole track folder.
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.aac'), SECRET);
  cpSync(join(out, ID), join(out, 'linked'), { recursive: true });
  const linked = JSON.parse(readFileSync(join(out, 'linked', 'track.json'), 'utf8')) as TrackInfo;
  const variants = linked.variants.map((v) => (v.quality_id === 'high' ? { ...v, file: LINKED_MEDIA } : v));
  writeFileSync(join(out, 'linked', 'track.json'), JSON.stringify({ ...linked, id: 'linked', variants }));
  rmSync(join(out, 'linked', variantFile('high')));
  symlinkSync(join(outside, 'secret.aac'), join(out, 'linked', LINKED_MEDIA));
  cpSync(join(out, 'linked'), join(outside, 'escaped'), { recursive: true, verbatimSymlinks: true });
  const escaped = JSON.parse(readFileSync(join(outside, 'escaped', 'track.json'), 'utf8'));
  writeFileSync(join(outside, 'escaped', 'track.json'), JSON.stringify({ ...escaped, id: 'escaped' }));
  symlinkSync(join(outside, 'escaped'), join(out, 'escaped'));
  // The catalog lists `linked` (a real folder), so that only its symlinked file is refused.
  await rebuildCatalog(out);
  server = await startServe(out);
});

describe('hlsaudio serve: the startup line and the folder routes', () => {
  it('says how many tracks it serves and where', () => {
    expect(server.stdout()).toMatch(
      /^hlsaudio serve: 2 tracks from .+ at http:\/\/127\.0\.0\.1:\d+\/ \(player: \/, events: ws:\/\/127\.0\.0\.1:\d+\/api\/ws; Ctrl-C stops\)\nhlsaudio realtime: \/api\/ws runs in anonymous mode: .+\n$/,
    );
  });

  it('answers /healthz and /catalog.json', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', version: expect.any(String), active_sessions: 0 });
    const catalog = await get('/catalog.json');
    expect(catalog.status).toBe(200);
    expect(catalog.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(catalog.headers['cache-control']).toBe('no-cache');
    expect(catalog.body).toEqual(file('catalog.json'));
    expect((await get('/catalog.json', { 'If-None-Match': catalog.headers.etag! })).status).toBe(304);
  });

  it('answers unknown routes and wrong methods with JSON errors', async () => {
    const missing = await get('/nothing/here');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(missing.json()).toEqual({ error: 'E_NOT_FOUND', message: 'No such route or file' });
    const wrong = await request(server.port, 'DELETE', `/hls/${ID}/master.m3u8`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    expect(wrong.json()).toEqual({ error: 'E_METHOD_NOT_ALLOWED', message: 'DELETE is not allowed here; use GET or HEAD' });
  });
});

describe('hlsaudio serve: playlists', () => {
  it.each(['master.m3u8', 'master-mp3.m3u8', 'high/playlist.m3u8', 'low/playlist.m3u8'])('serves %s as written, with its type, validators and a short max-age', async (name) => {
    const answer = await get(`/hls/${ID}/${name}`);
    expect(answer.status).toBe(200);
    // The spec's variant route answers with the playlist track.json names for the quality.
    const expected = file(`${ID}/${name.includes('/') ? variantFile(name.split('/')[0]!, 'playlist') : name}`).toString();
    expect(answer.body.toString()).toBe(expected);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/vnd.apple.mpegurl',
      'cache-control': 'public, max-age=10',
      'access-control-allow-origin': '*',
      'content-length': String(Buffer.byteLength(expected)),
    });
    expect(answer.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect((await get(`/hls/${ID}/${name}`, { 'If-None-Match': answer.headers.etag! })).status).toBe(304);
    const since = await get(`/hls/${ID}/${name}`, { 'If-Modified-Since': answer.headers['last-modified']! });
    expect(since.status).toBe(304);
    expect(since.body.length).toBe(0);
    expect((await get(`/hls/${ID}/${name}`, { 'If-Modified-Since': new Date(Date.parse(answer.headers['last-modified']!) - 1000).toUTCString() })).status).toBe(200);
  });

  it('serves a variant playlist under its content-addressed name (as masters name it) as immutable', async () => {
    const name = variantFile('high', 'playlist');
    expect(file(`${ID}/master.m3u8`).toString()).toContain(`\n${name}\n`);
    const answer = await get(`/hls/${ID}/${name}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(file(`${ID}/${name}`));
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('keeps connections alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers = [];
      for (const name of ['master.m3u8', 'high/playlist.m3u8', variantFile('high')]) answers.push(await request(server.port, 'GET', `/hls/${ID}/${name}`, { agent }));
      expect(answers.map((answer) => answer.reusedSocket)).toEqual([false, true, true]);
      expect(answers[0]!.headers).toMatchObject({ connection: 'keep-alive', 'keep-alive': 'timeout=65' });
    } finally {
      agent.destroy();
    }
  });

  it('gzips a playlist for a client that accepts it, under its own ETag', async () => {
    const plain = await get(`/hls/${ID}/master.m3u8`);
    const zipped = await get(`/hls/${ID}/master.m3u8`, { 'Accept-Encoding': 'br, gzip;q=0.8' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(zipped.body)).toEqual(plain.body);
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    expect((await get(`/hls/${ID}/master.m3u8`, { 'Accept-Encoding': 'gzip', 'If-None-Match': zipped.headers.etag! })).status).toBe(304);
    expect((await get(`/hls/${ID}/master.m3u8`, { 'Accept-Encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
  });

  it('answers unknown tracks, qualities and files with 404 naming them', async () => {
    expect((await get('/hls/nope/master.m3u8')).json()).toEqual({ error: 'E_UNKNOWN_TRACK', message: 'No track "nope" in this folder' });
    const quality = await get(`/hls/${ID}/ultra/playlist.m3u8`);
    expect(quality.status).toBe(404);
    expect(quality.json()).toEqual({ error: 'E_UNKNOWN_QUALITY', message: `Track "${ID}" has no quality "ultra"; it has high, medium, low, mobile` });
    expect((await get(`/hls/${ID}/high/other.aac`)).json()).toEqual({ error: 'E_NOT_FOUND', message: `Track "${ID}" has no file "high/other.aac"` });
    expect((await get(`/hls/${ID}/track.json`)).status).toBe(404);
  });
});

describe('hlsaudio serve: media files and ranges', () => {
  const media = () => file(`${ID}/${variantFile('high')}`);
  let path: string;
  beforeAll(() => {
    path = `/hls/${ID}/${variantFile('high')}`;
  });

  it('serves the whole file with its exact type, immutable under its content-addressed name', async () => {
    const whole = await get(path);
    expect(whole.status).toBe(200);
    expect(whole.body).toEqual(media());
    expect(whole.headers).toMatchObject({ 'content-type': 'audio/aac', 'accept-ranges': 'bytes', 'cache-control': 'public, max-age=31536000, immutable', 'content-length': String(media().length) });
    expect((await get(`/hls/${ID}/${variantFile('low')}`)).headers['content-type']).toBe('audio/mpeg');
  });

  it('answers every segment range of the playlist with 206 and the exact bytes', async () => {
    const segments = readMediaPlaylist(file(`${ID}/${variantFile('high', 'playlist')}`).toString()).segments;
    let next = 0;
    for (const segment of segments) {
      const offset = segment.offset ?? next;
      next = offset + segment.length!;
      const answer = await get(path, { Range: `bytes=${offset}-${next - 1}` });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-range']).toBe(`bytes ${offset}-${next - 1}/${media().length}`);
      expect(answer.headers['content-length']).toBe(String(segment.length));
      expect(answer.body).toEqual(media().subarray(offset, next));
      expect(id3TagLength(answer.body, 0)).toBeGreaterThan(0); // a segment starts with its ID3 tag
      // Twice: the second answer may come from the range cache and must be the same.
      expect((await get(path, { Range: `bytes=${offset}-${next - 1}` })).body).toEqual(media().subarray(offset, next));
    }
  });

  it.each([
    ['first bytes', 'bytes=0-99', 0, 100],
    ['a middle range', 'bytes=100000-100999', 100000, 101000],
    ['a suffix', 'bytes=-500', -500, undefined],
    ['an open end', 'bytes=445000-', 445000, undefined],
    ['an end past the end', 'bytes=445100-999999999', 445100, undefined],
  ])('answers %s (%s)', async (_name, range, start, end) => {
    const size = media().length;
    const from = start < 0 ? size + start : start;
    const to = end ?? size;
    const answer = await get(path, { Range: range });
    expect(answer.status).toBe(206);
    expect(answer.headers['content-range']).toBe(`bytes ${from}-${to - 1}/${size}`);
    expect(answer.body).toEqual(media().subarray(from, to));
  });

  it('answers a media URI with a query (`audio.<hash>.aac?v=1`) as the bare path', async () => {
    const bare = await get(path, { Range: 'bytes=10-2000' });
    const busted = await get(`${path}?v=0123456789`, { Range: 'bytes=10-2000' });
    expect(busted.status).toBe(206);
    expect(busted.headers).toMatchObject({ etag: bare.headers.etag, 'content-range': bare.headers['content-range'] });
    expect(busted.body).toEqual(bare.body);
    expect((await get(`/hls/${ID}/high/playlist.m3u8?v=0123456789`)).body).toEqual((await get(`/hls/${ID}/high/playlist.m3u8`)).body);
  });

  it('answers a range past the end with 416 and the size', async () => {
    const answer = await get(path, { Range: `bytes=${media().length}-` });
    expect(answer.status).toBe(416);
    expect(answer.headers['content-range']).toBe(`bytes */${media().length}`);
    expect(answer.json()).toEqual({ error: 'E_RANGE_NOT_SATISFIABLE', message: `The range "bytes=${media().length}-" starts past the end of this ${media().length}-byte file` });
  });

  it('sends the whole file for a range it ignores (several ranges) or an If-Range that no longer holds', async () => {
    expect((await get(path, { Range: 'bytes=0-9,20-29' })).status).toBe(200);
    const current = await get(path, { Range: 'bytes=0-9' });
    expect((await get(path, { Range: 'bytes=0-9', 'If-Range': current.headers.etag! })).status).toBe(206);
    expect((await get(path, { Range: 'bytes=0-9', 'If-Range': '"stale"' })).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const head = await request(server.port, 'HEAD', path, { headers: { Range: 'bytes=0-99' } });
    expect(head.status).toBe(206);
    expect(head.headers['content-length']).toBe('100');
    expect(head.body.length).toBe(0);
    const whole = await request(server.port, 'HEAD', path);
    expect(whole.headers['content-length']).toBe(String(media().length));
    expect(whole.body.length).toBe(0);
  });

  it('answers 304 to a client whose copy is current', async () => {
    const first = await get(path);
    expect((await get(path, { 'If-None-Match': `"other", ${first.headers.etag}` })).status).toBe(304);
    expect((await get(path, { 'If-None-Match': `W/${first.headers.etag}` })).status).toBe(304);
    expect((await get(path, { 'If-Modified-Since': first.headers['last-modified']! })).status).toBe(304);
    expect((await get(path, { 'If-None-Match': '"other"', 'If-Modified-Since': first.headers['last-modified']! })).status).toBe(200);
  });

  it('takes clients that leave mid-answer in its stride: no error logged, still serving', async () => {
    const leaving = Array.from({ length: 40 }, (_, i) =>
      new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.port, path: i % 2 ? path : `/stream/${ID}.mp3?quality=low`, headers: { Range: `bytes=${i * 997}-${i * 997 + 150_000}` }, agent: false });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.on('socket', (socket) => socket.on('connect', () => setTimeout(() => req.destroy(), i % 4)));
        req.end();
      }),
    );
    await Promise.all(leaving);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.stderr()).toBe('');
    expect((await get(path, { Range: 'bytes=0-9' })).status).toBe(206);
  });

  it('lets players on other origins read ranges (CORS, preflight)', async () => {
    const answer = await get(path, { Origin: 'https://player.example', Range: 'bytes=0-1' });
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['access-control-expose-headers']).toContain('Content-Range');
    const preflight = await request(server.port, 'OPTIONS', path, {
      headers: { Origin: 'https://player.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-allow-headers': 'range', 'access-control-max-age': '600' });
    const api = await request(server.port, 'OPTIONS', '/api/streaming/session', { headers: { 'Access-Control-Request-Method': 'POST' } });
    expect(api.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(api.headers['access-control-allow-headers']).toBe('Range, Content-Type, If-None-Match, If-Modified-Since, If-Range');
  });
});

describe('hlsaudio serve: nothing outside the folder', () => {
  it.each([
    '/hls/../catalog.json',
    '/hls/%2e%2e/%2e%2e/etc/passwd',
    `/hls/${ID}/..%2f..%2fcatalog.json`,
    `/hls/${ID}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
    `/hls/${ID}/high/..%2F..%2F..%2Fetc%2Fpasswd`,
    `/hls/${ID}/high/../../../../etc/passwd`,
    '/hls/..\\..\\etc\\passwd',
    `/hls/${ID}/%5c..%5c..%5cetc%5cpasswd`,
    `/hls/${ID}/master.m3u8%00.aac`,
    '//etc/passwd',
    '/hls//etc/passwd',
    '/stream/..%2f..%2fetc%2fpasswd',
    '/stream/%2e%2e',
    `/hls/${ID}/%c0%ae%c0%ae/x`,
    'http://evil.example/../../etc/passwd',
  ])('refuses %s with 400', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'E_BAD_PATH', message: expect.stringMatching(/^Bad request path: /) });
    expect(answer.body.toString()).not.toContain(work);
  });

  it.each([
    '/etc/passwd',
    '/hls/etc/passwd',
    `/hls/${ID}/track.json`,
    `/hls/${ID}/high/playlist.m3u8.bak`,
    `/hls/linked/${LINKED_MEDIA}`, // listed, but a symlink to a file outside
    '/hls/escaped/master.m3u8', // the track folder is a symlink to outside
    '/hls/escaped/high/playlist.m3u8',
    `/stream/${encodeURIComponent('/etc/passwd')}`,
    '/hls/%2Fetc/passwd',
  ])('refuses %s with 400 or 404, never a byte or a path', async (path) => {
    const answer = await get(path);
    expect([400, 404]).toContain(answer.status);
    expect(answer.json().error).toMatch(/^E_(BAD_PATH|NOT_FOUND|UNKNOWN_TRACK|UNKNOWN_QUALITY)$/);
    expect(answer.body.toString()).not.toContain(SECRET);
    expect(answer.body.toString()).not.toContain(work);
    expect(answer.body.toString()).not.toContain('root:');
  });

  it('serves the same track when not symlinked, so the refusals above are the symlinks', async () => {
    expect((await get(`/hls/linked/${variantFile('medium')}`)).status).toBe(200);
  });

  it('answers a raw NUL byte and a malformed request line with 400 JSON, then keeps serving', async () => {
    const nul = await rawRequest(server.port, 'GET /hls/\0/x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(nul).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(nul).toContain('{"error":"E_BAD_REQUEST","message":"Malformed HTTP request"}');
    expect(await rawRequest(server.port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('hlsaudio serve: /stream/, the whole variant as one plain file', () => {
  it.each([
    ['low', 'mp3', 'audio/mpeg', 576],
    ['high', 'aac', 'audio/aac', 1024],
    ['mobile', 'aac', 'audio/aac', 1024],
  ])('/stream/%s.%s decodes with no error and to the variant\'s full length', async (quality, extension, type, frameSamples) => {
    const answer = await get(`/stream/${ID}.${extension}?quality=${quality}`);
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'content-type': type, 'x-hlsaudio-quality': quality, 'content-disposition': `inline; filename="${ID}.${extension}"` });
    const variant = track.variants.find((v) => v.quality_id === quality)!;
    const tags = variant.segment_count * 73;
    expect(answer.body.length).toBe(variant.bytes - tags);
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    expect(answer.body.indexOf('ID3')).toBe(-1);
    const saved = join(work, `stream-${quality}.${extension}`);
    writeFileSync(saved, answer.body);
    const decoded = await decode(saved, { sampleRate: variant.sample_rate, channels: 2 });
    expect(decoded.stderr).toBe('');
    expect(Math.abs(durationOf(decoded) * 1000 - variant.duration_ms)).toBeLessThan((frameSamples / variant.sample_rate) * 1000);
  });

  it('answers ranges on that view, with 416 past its end', async () => {
    const whole = await get(`/stream/${ID}.mp3?quality=low`);
    const size = whole.body.length;
    for (const [range, from, to] of [['bytes=0-999', 0, 1000], ['bytes=50000-150000', 50000, 150001], ['bytes=-777', size - 777, size], [`bytes=${size - 10}-`, size - 10, size]] as const) {
      const answer = await get(`/stream/${ID}.mp3?quality=low`, { Range: range });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-range']).toBe(`bytes ${from}-${to - 1}/${size}`);
      expect(answer.body).toEqual(whole.body.subarray(from, to));
    }
    expect((await get(`/stream/${ID}.mp3?quality=low`, { Range: `bytes=${size}-` })).status).toBe(416);
    expect((await get(`/stream/${ID}.mp3?quality=low`, { 'If-None-Match': whole.headers.etag! })).status).toBe(304);
  });

  it('chooses the profile from the query or the Client Hints when no quality is named', async () => {
    const quality = async (path: string, headers: Record<string, string> = {}) => (await get(path, headers)).headers['x-hlsaudio-quality'];
    expect(await quality(`/stream/${ID}`)).toBe('high'); // nothing known: 500 kbps assumed
    expect(await quality(`/stream/${ID}`, { ECT: '2g' })).toBe('mobile');
    expect(await quality(`/stream/${ID}`, { Downlink: '0.35' })).toBe('medium');
    expect(await quality(`/stream/${ID}`, { 'Sec-CH-UA-Mobile': '?1', Downlink: '10' })).toBe('medium');
    expect(await quality(`/stream/${ID}?estimated_bandwidth_kbps=200&connection_type=Wifi&device_type=Desktop`)).toBe('mobile');
    expect(await quality(`/stream/${ID}.mp3`)).toBe('low');
    const chosen = await get(`/stream/${ID}`, { ECT: '2g' });
    expect(chosen.headers).toMatchObject({ 'cache-control': 'private, no-cache', vary: 'Downlink, ECT, Sec-CH-UA-Mobile' });
  });

  it('refuses bad stream requests with a message naming what is wrong', async () => {
    expect((await get(`/stream/${ID}?quality=ultra`)).json()).toEqual({ error: 'E_UNKNOWN_QUALITY', message: 'Expected `quality` to be one of high, medium, low, mobile, got "ultra"' });
    expect((await get(`/stream/${ID}.mp3?quality=high`)).json()).toEqual({ error: 'E_FIELD', message: 'Expected `quality` to be a .mp3 profile, got "high" (.aac)' });
    expect((await get(`/stream/${ID}.ogg`)).json()).toEqual({ error: 'E_NOT_FOUND', message: `Track "${ID}" has no .ogg variant; it has .aac, .mp3` });
    expect((await get(`/stream/${ID}?estimated_bandwidth_kbps=fast`)).json()).toEqual({ error: 'E_FIELD', message: 'Expected `estimated_bandwidth_kbps` to be a number from 0 to 4294967295, got "fast"' });
    expect((await get('/stream/nope.mp3')).json()).toEqual({ error: 'E_UNKNOWN_TRACK', message: 'No track "nope" in this folder' });
    expect((await get('/stream/NOT_A_TRACK')).status).toBe(404);
  });
});
