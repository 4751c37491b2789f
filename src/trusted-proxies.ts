import { BlockList, isIP } from 'node:net';
import { optionError } from './errors.js';

const EXPECTED = 'a comma-separated list of IP addresses, CIDR ranges such as 10.0.0.0/8, or loopback';

/**
 * The addresses whose `X-Forwarded-For` is believed (`serve --trust-proxy`): the load balancers in
 * front of a node, and nothing else, since any client can send the header. Matching is Node's
 * `BlockList`, which also matches an IPv4-mapped IPv6 peer (`::ffff:127.0.0.1`, a dual-stack
 * socket's view of an IPv4 client) against IPv4 entries.
 */
export class TrustedProxies {
  private constructor(
    private readonly blocks: BlockList,
    /** The entries as given, for the startup notice. */
    readonly entries: readonly string[],
  ) {}

  /**
   * Parses IP addresses, CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`) and the word `loopback`
   * (127.0.0.0/8 and ::1), given as one comma-separated string or as a list. A bad entry, or none,
   * is refused with E_OPTION naming `field` and the entry: a list that trusts less than the user
   * meant would count every client as the balancer, one that trusts more would believe forged headers.
   */
  static parse(list: string | readonly string[], field: string): TrustedProxies {
    const entries = (typeof list === 'string' ? list.split(',') : list).map((entry) => entry.trim());
    if (entries.length === 0) throw optionError(field, EXPECTED, undefined);
    const blocks = new BlockList();
    for (const entry of entries) {
      if (entry === 'loopback') {
        blocks.addSubnet('127.0.0.0', 8, 'ipv4');
        blocks.addAddress('::1', 'ipv6');
        continue;
      }
      const [address = '', prefix, ...rest] = entry.split('/');
      const family = address.includes('%') ? 0 : isIP(address);
      const bits = family === 4 ? 32 : 128;
      if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits))) throw optionError(field, EXPECTED, entry);
      blocks.addSubnet(address, prefix === undefined ? bits : Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
    return new TrustedProxies(blocks, entries);
  }

  /** Whether an address (a TCP peer, or an entry of X-Forwarded-For) is one of the trusted proxies. */
  contains(address: string | undefined): boolean {
    if (address === undefined) return false;
    // A link-local peer carries its zone (`fe80::1%eth0`), which BlockList does not take.
    const bare = address.replace(/%.*$/, '');
    const family = isIP(bare);
    return family !== 0 && this.blocks.check(bare, family === 4 ? 'ipv4' : 'ipv6');
  }
}
