import type { AttemptRow, EndpointRow, EventRow, Page } from "../store/store.js";

/** Store rows to the API objects of SPEC §5. Response schemas then drop anything undeclared. */

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function presentEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    resource_type: "webhook_endpoint" as const,
    url: row.url,
    events: row.events,
    status: row.status,
    description: row.description,
    metadata: row.metadata,
    api_version: row.apiVersion,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function presentEndpointWithSecret(row: EndpointRow, secret: string) {
  return { ...presentEndpoint(row), secret };
}

export function presentEvent(row: EventRow) {
  const envelope = JSON.parse(row.payload) as { data: { object: Record<string, unknown> } };
  return {
    id: row.id,
    resource_type: "event" as const,
    webhook_endpoint_id: row.endpointId,
    type: row.type,
    data: envelope.data,
    api_version: row.apiVersion,
    attempts: row.attempts,
    next_attempt_at: isoOrNull(row.nextAttemptAt),
    delivered_at: isoOrNull(row.deliveredAt),
    last_status_code: row.lastStatusCode,
    last_response_body: row.lastResponseBody,
    last_redelivered_at: isoOrNull(row.lastRedeliveredAt),
    created_at: iso(row.createdAt),
  };
}

export function presentAttempt(row: AttemptRow) {
  return {
    id: row.id,
    resource_type: "event_attempt" as const,
    event_id: row.eventId,
    attempt: row.attempt,
    trigger: row.trigger,
    started_at: iso(row.startedAt),
    duration_ms: row.durationMs,
    status_code: row.statusCode,
    outcome: row.outcome,
    error: row.error,
    response_body: row.responseBody,
  };
}

/** A list page; the cursor is the id of the last row, which keyset pagination continues after. */
export function presentList<Row extends { id: string }, Out>(page: Page<Row>, present: (row: Row) => Out) {
  const last = page.data.at(-1);
  return {
    resource_type: "list" as const,
    data: page.data.map(present),
    has_more: page.hasMore,
    next_cursor: page.hasMore && last ? last.id : null,
  };
}
