import type { EventAttempt, WebhookEndpoint, WebhookEventRecord } from "@medblocks/connect";
import { details, dim, green, red, relativeTime, table, yellow } from "../output.js";

/** How endpoints, event records and attempts read in a terminal. */

const status = (value: string) => (value === "active" ? green(value) : red(value));

export function endpointTable(endpoints: WebhookEndpoint[]): string {
  if (endpoints.length === 0) return "No webhook endpoints.";
  return table(
    ["ID", "URL", "EVENTS", "STATUS", "CREATED"],
    endpoints.map((e) => [e.id, e.url, e.events.join(","), status(e.status), relativeTime(e.created_at)]),
  );
}

export function endpointDetails(endpoint: WebhookEndpoint): string {
  const rows: [string, string][] = [
    ["id", endpoint.id],
    ["url", endpoint.url],
    ["events", endpoint.events.join(", ")],
    ["status", status(endpoint.status)],
    ["description", endpoint.description ?? dim("-")],
    ["metadata", Object.keys(endpoint.metadata).length ? JSON.stringify(endpoint.metadata) : dim("{}")],
    ["api_version", endpoint.api_version],
    ["created", `${endpoint.created_at} ${dim(`(${relativeTime(endpoint.created_at)})`)}`],
    ["updated", `${endpoint.updated_at} ${dim(`(${relativeTime(endpoint.updated_at)})`)}`],
  ];
  return details(rows);
}

/** Where an event record stands, in a word or two. */
export function deliveryState(record: WebhookEventRecord): string {
  if (record.delivered_at) return green("delivered");
  if (record.next_attempt_at) return yellow(record.attempts === 0 ? "pending" : `retrying ${relativeTime(record.next_attempt_at)}`);
  if (record.attempts === 0) return dim("not scheduled");
  return red("failed");
}

export function eventTable(records: WebhookEventRecord[]): string {
  if (records.length === 0) return "No events.";
  return table(
    ["ID", "TYPE", "STATE", "ATTEMPTS", "LAST STATUS", "CREATED"],
    records.map((r) => [r.id, r.type, deliveryState(r), String(r.attempts), r.last_status_code === null ? "-" : String(r.last_status_code), relativeTime(r.created_at)]),
  );
}

export function eventDetails(record: WebhookEventRecord): string {
  const when = (iso: string | null) => (iso ? `${iso} ${dim(`(${relativeTime(iso)})`)}` : dim("-"));
  return details([
    ["id", record.id],
    ["type", record.type],
    ["endpoint", record.webhook_endpoint_id],
    ["state", deliveryState(record)],
    ["attempts", String(record.attempts)],
    ["next attempt", when(record.next_attempt_at)],
    ["delivered", when(record.delivered_at)],
    ["last status", record.last_status_code === null ? dim("-") : String(record.last_status_code)],
    ["last response", record.last_response_body ? oneLine(record.last_response_body, 80) : dim("-")],
    ["redelivered", when(record.last_redelivered_at)],
    ["created", when(record.created_at)],
  ]);
}

export function attemptTable(attempts: EventAttempt[]): string {
  if (attempts.length === 0) return "No attempts yet.";
  return table(
    ["#", "TRIGGER", "OUTCOME", "STATUS", "DURATION", "STARTED", "ERROR / RESPONSE"],
    attempts.map((a) => [
      String(a.attempt),
      a.trigger,
      a.outcome === "delivered" ? green(a.outcome) : red(a.outcome),
      a.status_code === null ? "-" : String(a.status_code),
      `${a.duration_ms} ms`,
      relativeTime(a.started_at),
      oneLine(a.error ?? a.response_body ?? "", 60) || "-",
    ]),
  );
}

/** Collapses whitespace and cuts to `max` characters, for a table cell. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
