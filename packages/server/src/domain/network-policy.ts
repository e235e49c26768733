import ipaddr from "ipaddr.js";
import type { Mode } from "../store/store.js";

/**
 * Which destination addresses the service may connect to. Used twice: when an endpoint URL is
 * registered (its host is resolved and checked) and by the delivery engine at connection time, so
 * that the address checked is the address dialed (DNS rebinding cannot slip past).
 */

export type AddressClass = "public" | "loopback" | "private" | "forbidden";

/** Ranges that private-network mode opens up; everything else that is not public stays closed. */
const PRIVATE_RANGES = new Set(["private", "uniqueLocal", "carrierGradeNat", "linkLocal"]);

export function classifyAddress(address: string): AddressClass {
  if (!ipaddr.isValid(address)) return "forbidden";
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 host: judge that one.
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  const range = parsed.range();
  if (range === "unicast") return "public";
  if (range === "loopback") return "loopback";
  if (PRIVATE_RANGES.has(range)) return "private";
  // unspecified, broadcast, multicast, reserved, and IPv6 ranges that embed or tunnel to IPv4
  // (6to4, teredo, NAT64 prefixes) whose real destination cannot be judged here.
  return "forbidden";
}

export interface NetworkPolicy {
  mode: Mode;
  allowPrivateNetworks: boolean;
}

/** Why an address may not be dialed, or null when it may. */
export function addressRefusal(address: string, policy: NetworkPolicy): string | null {
  const kind = classifyAddress(address);
  switch (kind) {
    case "public":
      return null;
    case "loopback":
      if (policy.mode === "sandbox" || policy.allowPrivateNetworks) return null;
      return `${address} is a loopback address; only sandbox endpoints may deliver to loopback`;
    case "private":
      if (policy.allowPrivateNetworks) return null;
      return `${address} is a private or internal address (set MEDBLOCKS_ALLOW_PRIVATE_NETWORKS=true on a self-hosted service to allow it)`;
    case "forbidden":
      return `${address} is a reserved, multicast or otherwise non-routable address`;
  }
}

/** An IP literal as it may appear in a URL's hostname (`[::1]` included), or null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}
