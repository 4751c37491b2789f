import type { IncomingHttpHeaders } from 'node:http';
import { isIP, isIPv6 } from 'node:net';
import type { TrustedProxies } from './trusted-proxies.js';

/**
 * The address of the client behind a request: every per-address limit and every record of an
 * address (sessions, WebSocket quotas and connections, playlists, analytics) takes it from here.
 * - The TCP peer, unless it is a trusted proxy (`--trust-proxy`): then `X-Forwarded-For` (Node
 *   joins its lines with commas) is walked from the right, past the trusted proxies' own entries;
 *   the first entry that is not a trusted proxy is the client. Entries further left were written by
 *   that client or hops before it, which anyone can forge, so they are never read.
 * - Every entry trusted: the leftmost (a client inside the trusted network).
 * - An entry that is not an IP address (`unknown`, `unix:`, `192.0.2.1:4711`, garbage) stops the
 *   walk at the address read before it, a trusted proxy: every entry right of it is trusted, so a
 *   proxy we trust wrote it badly (or a client inside the trusted network sent it), and entries
 *   further left can no longer be tied to anyone. Such clients then share that proxy's quota, as
 *   without the option, rather than get one each from garbage.
 * - Without trusted proxies, or from an untrusted peer, the header is ignored: a client talking to
 *   the node directly cannot choose its address.
 * The walk reads entries from the end of the header, so a long header costs only the hops walked.
 */
export function clientAddress(socket: { readonly remoteAddress?: string | undefined }, headers: IncomingHttpHeaders, trusted: TrustedProxies | undefined): string {
  const peer = socket.remoteAddress ?? '';
  if (trusted === undefined || !trusted.contains(peer)) return peer;
  const header = headers['x-forwarded-for'];
  if (header === undefined) return peer;
  const hops = Array.isArray(header) ? header.join(',') : header;
  let client = peer;
  for (let end = hops.length; ; ) {
    const start = end === 0 ? -1 : hops.lastIndexOf(',', end - 1);
    const hop = hops.slice(start + 1, end).trim();
    if (isIP(hop) === 0) return client;
    if (!trusted.contains(hop)) return hop;
    client = hop;
    if (start < 0) return client;
    end = start;
  }
}

/**
 * The key under which per-address limits count a client (the address `clientAddress` gives).
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
