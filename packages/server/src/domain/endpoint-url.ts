import { lookup } from "node:dns/promises";
import { invalidData } from "./errors.js";
import { addressRefusal, ipLiteral, type NetworkPolicy } from "./network-policy.js";

/** Resolves a host name to every address it has. Injected so tests control DNS. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const MAX_URL_LENGTH = 2048;
const LOOKUP_TIMEOUT_MS = 3_000;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

export const resolveHostWithDns: ResolveHost = async (hostname) => {
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => reject(Object.assign(new Error("DNS lookup timed out"), { code: "ETIMEOUT" })), LOOKUP_TIMEOUT_MS).unref();
  });
  const answers = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
  return answers.map((a) => a.address);
};

/**
 * Checks an endpoint URL against SPEC §5 and returns it normalized. The host is resolved so that a
 * name pointing at an internal address is refused now; the delivery engine checks again at connect
 * time. A name that does not resolve (yet) is accepted: the connect-time check still guards it.
 */
export async function validateEndpointUrl(input: string, policy: NetworkPolicy, resolve: ResolveHost): Promise<string> {
  if (input.length > MAX_URL_LENGTH) throw invalidData("url", `The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalidData("url", `'${input.slice(0, 100)}' is not an absolute URL. Use https://your-host/path.`);
  }
  if (url.username || url.password) {
    throw invalidData("url", "The URL must not contain credentials. Authenticate deliveries by their signature.");
  }
  const host = url.hostname.toLowerCase();
  if (!host) throw invalidData("url", "The URL has no host.");
  const isLoopbackName = LOOPBACK_NAMES.has(host);
  if (url.protocol === "http:") {
    if (!isLoopbackName || policy.mode !== "sandbox") {
      throw invalidData(
        "url",
        "The URL must use https://. Plain http:// is accepted only for localhost, 127.0.0.1 or [::1] with a sandbox key.",
      );
    }
  } else if (url.protocol !== "https:") {
    throw invalidData("url", `The URL must use https://, not ${url.protocol}//.`);
  }
  if (url.hash) throw invalidData("url", "The URL must not contain a fragment (#…): it is never sent to the server.");

  const literal = ipLiteral(host);
  let addresses: string[];
  if (literal) addresses = [literal];
  else if (host === "localhost" || host.endsWith(".localhost")) addresses = ["127.0.0.1"];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
  }
  for (const address of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal) {
      const via = literal ? "" : ` (${host} resolves to ${address})`;
      throw invalidData("url", `The URL's host is not reachable from the public internet${via}: ${refusal}.`);
    }
  }
  return url.toString();
}
