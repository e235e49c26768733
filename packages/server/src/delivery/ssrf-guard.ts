import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { addressRefusal, type NetworkPolicy } from "../domain/network-policy.js";

/**
 * The connect-time half of the SSRF rules (SPEC §5): a `lookup` for the HTTP agent that resolves
 * the host and refuses the connection when any answer is not allowed. The address checked is the
 * address dialed, so a name that changed its answer since registration (DNS rebinding) is caught.
 */

export const BLOCKED_CODE = "EMEDBLOCKS_BLOCKED";

export class BlockedAddressError extends Error {
  readonly code = BLOCKED_CODE;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `dns.lookup`, except that the names in `hosts` resolve to the address given there (an /etc/hosts
 * of the delivery engine's own, for tests that need a name pointing at a private address).
 */
export function lookupWithHosts(hosts: Readonly<Record<string, string>>): typeof dnsLookup {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback) => {
    const address = Object.hasOwn(hosts, hostname) ? hosts[hostname] : undefined;
    if (address === undefined) return dnsLookup(hostname, options, callback as never);
    callback(null, [{ address, family: address.includes(":") ? 6 : 4 }]);
  }) as typeof dnsLookup;
}

export function guardedLookup(policy: NetworkPolicy, resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      for (const { address } of list) {
        const refusal = addressRefusal(address, policy);
        if (refusal) return callback(new BlockedAddressError(`${hostname} resolves to ${refusal}`), []);
      }
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
