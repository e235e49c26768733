import type { SecretBox } from "./secret-box.js";
import type { ResolveHost } from "./endpoint-url.js";
import type { Sender } from "../delivery/sender.js";
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
  /** Sends manual redeliveries (the API's synchronous attempt). */
  sender: Sender;
  /** Told when events became due (published, resumed, recovered), so a dispatcher here sends them at once. */
  wakeDelivery?: () => void;
  /**
   * Told when an endpoint was disabled, deleted, or given a new URL or secret, so a dispatcher here
   * sends none of its already claimed events as they were before.
   */
  endpointChanged?: (endpointId: string) => void;
}
