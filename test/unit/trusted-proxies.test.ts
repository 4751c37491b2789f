import { describe, expect, it } from 'vitest';
import { isHlsaudioError } from '../../src/errors.js';
import { TrustedProxies } from '../../src/trusted-proxies.js';

const EXPECTED = 'a comma-separated list of IP addresses, CIDR ranges such as 10.0.0.0/8, or loopback';

function refusal(list: string | string[], field = '--trust-proxy'): { code: string; field: string | undefined; message: string } {
  try {
    TrustedProxies.parse(list, field);
  } catch (error) {
    if (!isHlsaudioError(error)) throw error;
    return { code: error.code, field: error.field, message: error.message };
  }
  throw new Error(`${JSON.stringify(list)} was accepted`);
}

describe('TrustedProxies: the --trust-proxy list', () => {
  it('takes addresses and CIDR ranges of both families, spaces around commas, and keeps the entries for the startup notice', () => {
    const trusted = TrustedProxies.parse(' 10.1.2.3 , 192.168.0.0/16,2001:db8::/32, fd00::7', '--trust-proxy');
    expect(trusted.entries).toEqual(['10.1.2.3', '192.168.0.0/16', '2001:db8::/32', 'fd00::7']);
    for (const address of ['10.1.2.3', '192.168.255.1', '2001:db8:ffff::1', 'fd00::7', 'fd00:0:0:0:0:0:0:7']) expect(trusted.contains(address), address).toBe(true);
    for (const address of ['10.1.2.4', '192.169.0.1', '2001:db9::1', 'fd00::8', '', 'unknown', undefined]) expect(trusted.contains(address), String(address)).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 peer (a dual-stack socket\'s IPv4 client) against IPv4 entries', () => {
    const trusted = TrustedProxies.parse('127.0.0.1,10.0.0.0/8', '--trust-proxy');
    expect(trusted.contains('::ffff:127.0.0.1')).toBe(true);
    expect(trusted.contains('::FFFF:10.20.30.40')).toBe(true);
    expect(trusted.contains('::ffff:127.0.0.2')).toBe(false);
    expect(trusted.contains('::ffff:11.0.0.1')).toBe(false);
  });

  it('reads loopback as 127.0.0.0/8 and ::1, nothing else', () => {
    const trusted = TrustedProxies.parse(['loopback'], 'trustProxy');
    for (const address of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.3']) expect(trusted.contains(address), address).toBe(true);
    for (const address of ['128.0.0.1', '::2', '10.0.0.1']) expect(trusted.contains(address), address).toBe(false);
  });

  it('matches a link-local peer whatever its zone', () => {
    expect(TrustedProxies.parse('fe80::/10', '--trust-proxy').contains('fe80::1%eth0')).toBe(true);
  });

  it('refuses a bad entry with E_OPTION, naming the option (or variable) and the entry', () => {
    for (const entry of ['10.0.0.300', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/+8', 'localhost', 'fe80::1%eth0', '10.0.0.1:80', '[::1]', '*']) {
      expect(refusal(`127.0.0.1,${entry}`), entry).toEqual({ code: 'E_OPTION', field: '--trust-proxy', message: `Expected \`--trust-proxy\` to be ${EXPECTED}, got ${JSON.stringify(entry)}` });
    }
    expect(refusal('10.0.0.1,,10.0.0.2', 'HLSAUDIO_TRUST_PROXY').message).toBe(`Expected \`HLSAUDIO_TRUST_PROXY\` to be ${EXPECTED}, got ""`);
    expect(refusal('').message).toBe(`Expected \`--trust-proxy\` to be ${EXPECTED}, got ""`);
    expect(refusal([], 'trustProxy').message).toBe(`Expected \`trustProxy\` to be ${EXPECTED}, got nothing`);
  });
});
