import type { SecretBox } from "./secret-box.js";
import type { ResolveHost } from "./endpoint-url.js";
import type { Store } from "../store/store.js";

/** What the domain operations need from the outside world, injected once by the service. */
export interface DomainContext {
  store: Store;
  secrets: SecretBox;
  resolveHost: ResolveHost;
  /** Epoch milliseconds; injected so schedules and expiries are testable without sleeping. */
  clock: () => number;
  allowPrivateNetworks: boolean;
  livePublish: boolean;
  /** Told after events were inserted, so a dispatcher in this process can send them at once. */
  onEventsPublished?: (count: number) => void;
}
