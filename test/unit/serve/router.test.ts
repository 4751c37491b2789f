import { describe, expect, it } from 'vitest';
import { Router } from '../../../src/serve/router.js';

const noop = () => {};

describe('Router', () => {
  const router = new Router().add('GET', '/hls/:track_id/:file', noop).add(['PUT'], '/api/streaming/session/:id/quality', noop).add('GET', '/', noop);

  it('matches literal segments and parameters', () => {
    expect(router.match('GET', ['hls', 'song', 'master.m3u8'])).toEqual({ handler: noop, params: { track_id: 'song', file: 'master.m3u8' } });
    expect(router.match('GET', [])).toEqual({ handler: noop, params: {} });
  });

  it('answers HEAD with the GET route', () => {
    expect(router.match('HEAD', ['hls', 'song', 'master.m3u8'])).toMatchObject({ params: { track_id: 'song' } });
  });

  it('tells the methods a path allows, and nothing for an unknown path', () => {
    expect(router.match('POST', ['hls', 'song', 'master.m3u8'])).toEqual({ allowed: ['GET', 'HEAD'] });
    expect(router.match('GET', ['api', 'streaming', 'session', 'x', 'quality'])).toEqual({ allowed: ['PUT'] });
    expect(router.match('GET', ['hls', 'song'])).toBeUndefined();
    expect(router.match('GET', ['hls', 'song', ''])).toBeUndefined();
  });

  it('refuses a route added twice and a pattern that is not a path', () => {
    expect(() => router.add('GET', '/', noop)).toThrow('A route for GET / exists already');
    expect(() => router.add('GET', 'x', noop)).toThrow('Expected `pattern` to start with /, got "x"');
  });
});
