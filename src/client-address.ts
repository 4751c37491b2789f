import { isIPv6 } from 'node:net';

/**
 * The key under which per-address limits count a client: its TCP peer address. X-Forwarded-For is
 * not trusted (any client can send one); behind a reverse proxy every client has the proxy's address.
 * - An IPv4 client of a dual-stack socket shows as `::ffff:192.0.2.1`: counted as `192.0.2.1`, as it
 *   would be on an IPv4 socket.
 * - An IPv6 client is counted by its /64: one subscriber line gets a whole /64 and picks addresses in
 *   it at will, so a per-/128 limit would stop nobody.
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remoteAddress);
  if (mapped) return mapped[1]!;
  if (!isIPv6(remoteAddress)) return remoteAddress;
  return `${expandIPv6(remoteAddress).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, `::` expanded, zone dropped, each without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.replace(/%.*$/, '').toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => (group.includes('.') ? group : String(Number.parseInt(group, 16).toString(16))));
}
