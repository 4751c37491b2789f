import { describe, expect, it } from 'vitest';
import { checkRedisUrl } from '../../../src/realtime/redis-url.js';
import { maskUrlCredentials } from '../../../src/url-credentials.js';

describe('Redis URLs', () => {
  it('masks the password, keeps the rest', () => {
    expect(maskUrlCredentials('redis://hls:s3cret@cache:6379/2')).toBe('redis://hls:***@cache:6379/2');
    expect(maskUrlCredentials('rediss://:s3cret@cache:6380')).toBe('rediss://:***@cache:6380');
    expect(maskUrlCredentials('redis://cache:6379')).toBe('redis://cache:6379');
    // Unparsable: whatever sits where credentials would is hidden.
    expect(maskUrlCredentials('redis://us er:s3cret@ca che')).toBe('redis://***@ca che');
  });

  it('accepts redis:// and rediss:// with a host, and refuses the rest without showing the password', () => {
    expect(checkRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(checkRedisUrl('rediss://u:p@cache:6380/1')).toBe('rediss://u:p@cache:6380/1');
    expect(() => checkRedisUrl('cache:6379')).toThrow('Expected `--redis` to be a URL such as redis://host:6379 or rediss://user:password@host:6380/0, got "cache:6379"');
    expect(() => checkRedisUrl('http://u:s3cret@cache', 'HLSAUDIO_REDIS_URL')).toThrow('Expected `HLSAUDIO_REDIS_URL` to be a URL such as redis://host:6379 or rediss://user:password@host:6380/0, got "http://u:***@cache/"');
  });
});
