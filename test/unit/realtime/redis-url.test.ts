import { describe, expect, it } from 'vitest';
import { sentinelOptions } from '../../../src/realtime/redis-connection.js';
import { checkRedisUrl, redisTarget } from '../../../src/realtime/redis-url.js';
import { maskUrlCredentials } from '../../../src/url-credentials.js';

const EXPECTED = 'a URL such as redis://host:6379, rediss://user:password@host:6380/0 or redis+sentinel://host1:26379,host2:26379/mymaster';

describe('Redis URLs', () => {
  it('masks the password, keeps the rest', () => {
    expect(maskUrlCredentials('redis://hls:s3cret@cache:6379/2')).toBe('redis://hls:***@cache:6379/2');
    expect(maskUrlCredentials('rediss://:s3cret@cache:6380')).toBe('rediss://:***@cache:6380');
    expect(maskUrlCredentials('redis://cache:6379')).toBe('redis://cache:6379');
    // Unparsable: whatever sits where credentials would is hidden.
    expect(maskUrlCredentials('redis://us er:s3cret@ca che')).toBe('redis://***@ca che');
  });

  it('masks both passwords of a sentinel URL and keeps its sentinels, master name and database', () => {
    expect(maskUrlCredentials('redis+sentinel://hls:s3cret@s1:26379,s2:26380/mymaster/2?sentinelPassword=t0p')).toBe('redis+sentinel://hls:***@s1:26379,s2:26380/mymaster/2?sentinelPassword=***');
    expect(maskUrlCredentials('rediss+sentinel://:s3cret@s1/mymaster')).toBe('rediss+sentinel://:***@s1/mymaster');
    expect(maskUrlCredentials('redis+sentinel://s1,s2/m?sentinelPassword=t0p&password=p4ss')).toBe('redis+sentinel://s1,s2/m?sentinelPassword=***&password=***');
    // Even a bad one (port out of range) never shows them.
    expect(maskUrlCredentials('redis+sentinel://u:s3cret@s1:99999,s2/m?sentinelPassword=t0p')).toBe('redis+sentinel://u:***@s1:99999,s2/m?sentinelPassword=***');
  });

  it('accepts redis:// and rediss:// with a host, and refuses the rest without showing the password', () => {
    expect(checkRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(checkRedisUrl('rediss://u:p@cache:6380/1')).toBe('rediss://u:p@cache:6380/1');
    expect(() => checkRedisUrl('cache:6379')).toThrow(`Expected \`--redis\` to be ${EXPECTED}, got "cache:6379"`);
    expect(() => checkRedisUrl('http://u:s3cret@cache', 'HLSAUDIO_REDIS_URL')).toThrow(`Expected \`HLSAUDIO_REDIS_URL\` to be ${EXPECTED}, got "http://u:***@cache/"`);
  });

  it('reads a sentinel URL: the sentinels (26379 by default), the master name, the database and both passwords', () => {
    expect(redisTarget('redis+sentinel://hls:s%40cret@10.0.0.1:26379,sentinel-b,[::1]:26380/mymaster/3?sentinelPassword=t0p')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: 'sentinel-b', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'mymaster',
      db: 3,
      username: 'hls',
      password: 's@cret',
      sentinelPassword: 't0p',
      tls: false,
    });
    expect(redisTarget('rediss+sentinel://:pw@s1/m')).toEqual({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'm', db: 0, password: 'pw', tls: true });
    expect(redisTarget('redis://cache:6379/1')).toEqual({ kind: 'server', url: 'redis://cache:6379/1' });
  });

  it('refuses a sentinel URL without sentinels, without a master name, with a bad port, database or parameter, masked', () => {
    const bad = [
      'redis+sentinel:///m',
      'redis+sentinel://s1,,s2/m',
      'redis+sentinel://s1:26379',
      'redis+sentinel://s1:26379/',
      'redis+sentinel://s1:0/m',
      'redis+sentinel://s1:65536/m',
      'redis+sentinel://s1:26x/m',
      'redis+sentinel://s1/m/db',
      'redis+sentinel://s1/m/1/extra',
      'redis+sentinel://s1/m?db=1',
    ];
    for (const url of bad) expect(() => checkRedisUrl(url), url).toThrow(`Expected \`--redis\` to be ${EXPECTED}, got "${url}"`);
    expect(() => checkRedisUrl('redis+sentinel://u:s3cret@s1:99999/m?sentinelPassword=t0p')).toThrow(`got "redis+sentinel://u:***@s1:99999/m?sentinelPassword=***"`);
  });

  it('gives ioredis the sentinels, the name, both passwords and the failover detector; TLS to Redis and sentinels for rediss+sentinel://', () => {
    const target = redisTarget('redis+sentinel://hls:pw@s1,s2:26380/m/1?sentinelPassword=sp');
    expect(target?.kind).toBe('sentinel');
    if (target?.kind !== 'sentinel') return;
    expect(sentinelOptions(target)).toMatchObject({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'm', db: 1, username: 'hls', password: 'pw', sentinelPassword: 'sp', failoverDetector: true });
    expect(sentinelOptions(target).tls).toBeUndefined();
    const secure = redisTarget('rediss+sentinel://s1/m');
    if (secure?.kind !== 'sentinel') throw new Error('not a sentinel target');
    expect(sentinelOptions(secure)).toMatchObject({ tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} });
  });
});
