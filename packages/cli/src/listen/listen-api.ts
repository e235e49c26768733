import { API_VERSION, errorFromResponse, MedblocksConnectionError } from "@medblocks/connect";
import { describeNetworkError, type ApiSettings } from "../api-client.js";
import { CLI_VERSION } from "../version.js";

/**
 * The service's `medblocks listen` routes, which the SDK does not wrap: the session (its secret),
 * the event stream, and the report of each forwarded attempt. Errors are the SDK's: API errors by
 * status, `MedblocksConnectionError` when no response arrived.
 */

export interface ListenSessionInfo {
  webhook_endpoint_id: string;
  device: string;
  events: string[];
  secret: string;
}

/** A `webhook` message of the stream: the exact body to forward and the lease to report it with. */
export interface StreamedEvent {
  id: string;
  type: string;
  payload: string;
  lease: string;
}

export type ForwardOutcome = "delivered" | "http_error" | "timeout" | "connection_error";

export interface AttemptReport {
  event_id: string;
  lease: string;
  outcome: ForwardOutcome;
  status_code: number | null;
  duration_ms: number;
  error?: string | null;
  response_body?: string | null;
}

const REPORT_TIMEOUT_MS = 10_000;

export class ListenApi {
  constructor(
    readonly settings: ApiSettings,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The workspace's session for this device (created if new): nothing is streamed. */
  async session(device: string, events?: string[]): Promise<ListenSessionInfo & { resource_type: "listen_session" }> {
    const body = { device, ...(events && { events: events.join(",") }) };
    const response = await this.#send("/listen/sessions", { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(REPORT_TIMEOUT_MS) });
    return (await response.json()) as ListenSessionInfo & { resource_type: "listen_session" };
  }

  /** Opens the event stream; the response body is `text/event-stream` until `signal` aborts it. */
  async stream(device: string, events: string[] | undefined, signal: AbortSignal): Promise<Response> {
    const query = new URLSearchParams({ device, ...(events && { events: events.join(",") }) });
    return this.#send(`/listen/stream?${query}`, { method: "GET", signal, headers: { accept: "text/event-stream" } });
  }

  async report(report: AttemptReport): Promise<void> {
    await this.#send("/listen/attempts", { method: "POST", body: JSON.stringify(report), signal: AbortSignal.timeout(REPORT_TIMEOUT_MS) });
  }

  async #send(path: string, init: { method: string; body?: string; signal: AbortSignal; headers?: Record<string, string> }): Promise<Response> {
    const url = `${this.settings.baseUrl}${path}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.settings.apiKey}`,
      version: API_VERSION,
      "user-agent": `medblocks-cli/${CLI_VERSION}`,
      accept: "application/json",
      ...(init.body !== undefined && { "content-type": "application/json" }),
      ...init.headers,
    };
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: init.method, headers, body: init.body, signal: init.signal });
    } catch (error) {
      if (init.signal.aborted && (init.signal.reason as Error | undefined)?.name !== "TimeoutError") throw error;
      throw new MedblocksConnectionError(
        { type: "connection_error", code: "connection_failed", message: `cannot reach ${this.settings.baseUrl} (${describeNetworkError(error)})` },
        { cause: error },
      );
    }
    if (!response.ok) throw errorFromResponse(response.status, await response.text(), response.headers);
    return response;
  }
}
