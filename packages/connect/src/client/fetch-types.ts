/**
 * The slice of the Fetch API the client uses, declared here so the package's types compile without
 * DOM or Node typings. Where the runtime's own typings are loaded, `FetchFunction` and
 * `AbortSignalLike` are exactly its `fetch` and `AbortSignal`, so passing those just works.
 */

/** What the client reads from a response. */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null; forEach(callback: (value: string, name: string) => void): void };
  text(): Promise<string>;
}

/** What the client uses of an abort signal. */
export interface MinimalAbortSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** What the client passes to `fetch`. */
export interface FetchRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: MinimalAbortSignal;
}

/** The shape the client calls `fetch` with. */
export type MinimalFetch = (url: string, init: FetchRequestInit) => Promise<FetchResponseLike>;

/** A `fetch` function: the runtime's own type when its typings are loaded. */
export type FetchFunction = typeof globalThis extends { fetch: infer F } ? F : MinimalFetch;

/** An `AbortSignal`: the runtime's own type when its typings are loaded. */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : MinimalAbortSignal;
