/**
 * A UDP peer's address as STATS names it (docs/protocol.md, "STATS query"): `"ip:port"`, IPv6 in
 * brackets (`"[::1]:5000"`, RFC 3986 §3.2.2 / RFC 5952 §6), the address as the server's socket reports
 * the datagram's source (Node's `rinfo.address`: an IPv4-mapped source on a dual-stack socket stays
 * `"[::ffff:127.0.0.1]:port"`).
 */

/** A peer address taken apart: the IP as text (no brackets) and the port. */
export interface PeerAddress {
  address: string;
  /** UDP port, 0..65535. */
  port: number;
}

/** Formats `address` and `port` as STATS peers are named: `"1.2.3.4:5"`, `"[::1]:5"`. */
export function formatPeerAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

/**
 * Parses a peer written by {@link formatPeerAddress}; undefined for anything else (no port, a port
 * over 65535 or with leading zeros, an IPv6 address without brackets, an empty address). The address
 * itself is not checked beyond that: a string no socket reports simply matches no peer.
 */
export function parsePeerAddress(text: string): PeerAddress | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const portText = text.slice(colon + 1);
  if (!PORT.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  let address = text.slice(0, colon);
  if (address.startsWith('[')) {
    if (!address.endsWith(']')) return undefined;
    address = address.slice(1, -1);
    if (!address.includes(':')) return undefined;
  } else if (address.includes(':') || address.includes(']')) {
    return undefined;
  }
  if (address.length === 0) return undefined;
  return { address, port };
}
