import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../../src/serve/request-target.js';

const parse = (raw: string) => parseRequestTarget(raw, 2048);

describe('parseRequestTarget', () => {
  it('splits and decodes segments and the query', () => {
    const target = parse('/hls/my%20track/high/playlist.m3u8?session=abc&x=1');
    expect(target.segments).toEqual(['hls', 'my track', 'high', 'playlist.m3u8']);
    expect(target.query.get('session')).toBe('abc');
    expect(parse('/').segments).toEqual([]);
    expect(parse('/healthz/').segments).toEqual(['healthz', '']);
  });

  it('gives a target without a query an empty one that cannot be changed (it is shared)', () => {
    const query = parse('/hls/a/b.aac').query;
    expect([...query]).toEqual([]);
    expect(query.get('session')).toBeNull();
    expect(() => query.append('session', 'x')).toThrow(TypeError);
    expect(() => query.set('session', 'x')).toThrow(TypeError);
    expect(parse('/hls/a/c.aac').query.get('session')).toBeNull();
  });

  it('takes the path of an absolute-form target', () => {
    expect(parse('http://example.com/healthz?a=1').segments).toEqual(['healthz']);
  });

  it.each([
    ['/hls/../etc/passwd', 'the path has a `.` or `..` segment'],
    ['/hls/%2e%2e/catalog.json', 'the path has a `.` or `..` segment'],
    ['/hls/%2E%2E/%2E%2E/etc/passwd', 'the path has a `.` or `..` segment'],
    ['/hls/./x', 'the path has a `.` or `..` segment'],
    ['/hls/..%2f..%2fetc%2fpasswd', 'the path holds a backslash, an encoded slash or a NUL byte'],
    ['/hls/%2F/etc', 'the path holds a backslash, an encoded slash or a NUL byte'],
    ['/hls/..\\..\\etc\\passwd', 'the path holds a backslash, an encoded slash or a NUL byte'],
    ['/hls/%5c..%5cx', 'the path holds a backslash, an encoded slash or a NUL byte'],
    ['/hls/x%00.m3u8', 'the path holds a backslash, an encoded slash or a NUL byte'],
    ['//etc/passwd', 'the path has an empty segment'],
    ['/hls//x', 'the path has an empty segment'],
    ['/hls/%zz', 'the path has a malformed percent-escape'],
    ['/hls/%0a', 'the path holds a control character'],
    ['etc/passwd', 'the request target is not a path'],
    ['*', 'the request target is not a path'],
  ])('refuses %s: %s', (raw, why) => {
    expect(() => parse(raw)).toThrow(expect.objectContaining({ code: 'E_BAD_PATH', message: `Bad request path: ${why}` }));
  });

  it('refuses a target over the limit with E_URL_TOO_LONG', () => {
    expect(() => parseRequestTarget(`/${'a'.repeat(100)}`, 64)).toThrow(expect.objectContaining({ code: 'E_URL_TOO_LONG' }));
  });
});
