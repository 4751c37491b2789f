import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress } from '../../src/client-address.js';
import { TrustedProxies } from '../../src/trusted-proxies.js';

/** A balancer at 10.0.0.1 and a CDN range in front of it, as `--trust-proxy 10.0.0.1,203.0.113.0/24,2001:db8:cd::/48` says. */
const TRUSTED = TrustedProxies.parse('10.0.0.1,203.0.113.0/24,2001:db8:cd::/48', '--trust-proxy');
const headers = (forwardedFor: string | string[] | undefined) => (forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor as string });
const from = (peer: string | undefined, forwardedFor?: string | string[], trusted = TRUSTED) => clientAddress({ remoteAddress: peer }, headers(forwardedFor), trusted);
/** Without `--trust-proxy`. */
const untrusted = (peer: string | undefined, forwardedFor: string) => clientAddress({ remoteAddress: peer }, headers(forwardedFor), undefined);

describe('clientAddress: who the client behind a request is', () => {
  it('is the TCP peer without trusted proxies, whatever X-Forwarded-For says (as before --trust-proxy)', () => {
    expect(untrusted('192.0.2.7', '198.51.100.1')).toBe('192.0.2.7');
    expect(untrusted('10.0.0.1', '198.51.100.1')).toBe('10.0.0.1');
    expect(untrusted(undefined, '198.51.100.1')).toBe('');
  });

  it('ignores the header of a peer that is not trusted: a client talking to the node directly cannot choose its address', () => {
    expect(from('192.0.2.7', '198.51.100.1')).toBe('192.0.2.7');
    expect(from('192.0.2.7', '10.0.0.1')).toBe('192.0.2.7');
    expect(from('::ffff:192.0.2.7', '198.51.100.1')).toBe('::ffff:192.0.2.7');
  });

  it('from a trusted peer, is the rightmost entry that is not a trusted proxy; entries left of it (forged by the client) are not read', () => {
    expect(from('10.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.1" itself; the balancer appended its real address.
    expect(from('10.0.0.1', '1.1.1.1, 10.0.0.1, 198.51.100.1')).toBe('198.51.100.1');
    // Through a CDN hop (trusted) and the balancer: past the CDN's entry to the client.
    expect(from('10.0.0.1', '6.6.6.6, 198.51.100.1, 203.0.113.9')).toBe('198.51.100.1');
    expect(from('10.0.0.1', '198.51.100.1,203.0.113.9')).toBe('198.51.100.1');
  });

  it('reads every header line, in order (Node joins them with commas; a list is joined the same way)', () => {
    expect(from('10.0.0.1', ['6.6.6.6', '198.51.100.1, 203.0.113.9'])).toBe('198.51.100.1');
  });

  it('is the leftmost entry when every entry is trusted (a client inside the trusted network)', () => {
    expect(from('10.0.0.1', '203.0.113.5, 203.0.113.9')).toBe('203.0.113.5');
    expect(from('10.0.0.1', '10.0.0.1')).toBe('10.0.0.1');
  });

  it('is the peer when a trusted peer sends no header (the balancer\'s own health checks)', () => {
    expect(from('10.0.0.1')).toBe('10.0.0.1');
  });

  it('stops at an entry that is not an IP address and takes the last good one, a trusted proxy: garbage never names a client', () => {
    expect(from('10.0.0.1', 'unknown')).toBe('10.0.0.1');
    expect(from('10.0.0.1', '')).toBe('10.0.0.1');
    expect(from('10.0.0.1', '198.51.100.1, garbage, 203.0.113.9')).toBe('203.0.113.9');
    expect(from('10.0.0.1', '198.51.100.1, 192.0.2.1:4711')).toBe('10.0.0.1');
    expect(from('10.0.0.1', '198.51.100.1, [2001:db8::1]')).toBe('10.0.0.1');
    expect(from('10.0.0.1', '198.51.100.1,,203.0.113.9')).toBe('203.0.113.9');
    expect(from('10.0.0.1', ',203.0.113.9')).toBe('203.0.113.9');
    expect(from('10.0.0.1', '198.51.100.1, unix:')).toBe('10.0.0.1');
    // Garbage left of the client is never reached.
    expect(from('10.0.0.1', 'garbage, 198.51.100.1')).toBe('198.51.100.1');
  });

  it('walks IPv6 entries and peers, and IPv4-mapped peers as IPv4', () => {
    expect(from('10.0.0.1', '2001:db8:1:2::99, 2001:db8:cd:1::5')).toBe('2001:db8:1:2::99');
    expect(from('2001:db8:cd::1', '198.51.100.1')).toBe('198.51.100.1');
    expect(from('::ffff:10.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    expect(from('::ffff:10.0.0.2', '198.51.100.1')).toBe('::ffff:10.0.0.2');
    expect(from('10.0.0.1', '::ffff:203.0.113.9, ::ffff:10.0.0.1')).toBe('::ffff:203.0.113.9');
  });

  it('gives per-address limits the key of the client it names: IPv6 by its /64, mapped IPv4 as IPv4', () => {
    expect(addressKey(from('10.0.0.1', '2001:db8:1:2::99'))).toBe('2001:db8:1:2::/64');
    expect(addressKey(from('10.0.0.1', '::ffff:198.51.100.1'))).toBe('198.51.100.1');
  });

  it('reads only the hops it walks: a header of thousands of forged entries costs two', () => {
    const forged = Array.from({ length: 4000 }, (_, i) => `1.1.${i >> 8}.${i & 255}`).join(', ');
    let checks = 0;
    const counting = Object.create(TRUSTED, { contains: { value: (address: string) => (checks++, TRUSTED.contains(address)) } }) as TrustedProxies;
    expect(from('10.0.0.1', `${forged}, 198.51.100.1`, counting)).toBe('198.51.100.1');
    expect(checks).toBe(2);
  });
});
