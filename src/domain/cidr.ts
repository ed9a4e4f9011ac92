/**
 * One CIDR matcher for every allow list (agents' and terminals' addresses, the Elsom callback sources, the sandbox
 * control routes). An entry is an address (a host: /32 or /128) or `address/prefix`; IPv4-mapped IPv6 callers
 * (`::ffff:10.0.0.1`, as Node reports IPv4 clients of a dual-stack socket) are matched as the IPv4 address.
 * Pure: node:net's BlockList does the bit arithmetic, nothing is read or written.
 */
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Reads one entry; throws on a malformed address or prefix (configuration is refused before it is stored or used). */
export function parseCidr(cidr: string): Cidr {
  const [address = '', prefixText, ...rest] = cidr.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) throw new Error(`invalid IP address in allow-list: ${cidr}`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`invalid prefix in allow-list: ${cidr}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The caller's address as the list compares it: IPv4-mapped IPv6 unwrapped; undefined when it is not an IP. */
function normaliseAddress(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const address = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
  const version = isIP(address);
  return version === 0 ? undefined : { address, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class CidrMatcher {
  private readonly list = new BlockList();
  readonly size: number;

  /** Throws on a malformed entry. An empty matcher matches nothing; what an empty list means is the caller's rule. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      this.list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.size = entries.length;
  }

  matches(ip: string): boolean {
    const caller = normaliseAddress(ip);
    return caller !== undefined && this.list.check(caller.address, caller.family);
  }
}

/** An allow list where empty means no restriction (agent API spec: "if no IP is given there are no restrictions"). */
export function ipAllowed(allowList: readonly string[], remoteIp: string): boolean {
  return allowList.length === 0 || new CidrMatcher(allowList).matches(remoteIp);
}
