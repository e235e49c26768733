import { describe, expect, expectTypeOf, it } from "vitest";
import type { Connection, PatientFlow, RecordsSyncCompleted, RecordsSyncFailed } from "./payloads.js";
import {
  API_VERSION,
  WEBHOOK_EVENT_TYPES,
  isWebhookEventType,
  type PatientFlowCompletedEvent,
  type WebhookEvent,
  type WebhookEventOf,
  type WebhookEventType,
} from "./events.js";

// Compile-time checks run by `tsc -p packages/connect` (this file is in the project) as well as vitest.
function describeEvent(event: WebhookEvent): string {
  switch (event.type) {
    case "patient_flow.completed":
      expectTypeOf(event.data.object).toEqualTypeOf<PatientFlow>();
      return `${event.data.object.id} ${event.data.object.connections.length}`;
    case "connection.token_refresh_failed":
      expectTypeOf(event.data.object).toEqualTypeOf<Connection>();
      return `${event.data.object.status} ${event.data.object.failure_code}`;
    case "records.sync.completed":
      expectTypeOf(event.data.object).toEqualTypeOf<RecordsSyncCompleted>();
      return `${event.data.object.total}`;
    case "records.sync.failed":
      expectTypeOf(event.data.object).toEqualTypeOf<RecordsSyncFailed>();
      return event.data.object.error_message;
    default: {
      // Exhaustive at compile time; newer types still reach here at run time.
      const unknown: never = event;
      return `unhandled ${(unknown as { type: string }).type}`;
    }
  }
}

describe("event types", () => {
  it("WebhookEventType is exactly the four contract strings", () => {
    expectTypeOf<WebhookEventType>().toEqualTypeOf<
      "patient_flow.completed" | "connection.token_refresh_failed" | "records.sync.completed" | "records.sync.failed"
    >();
    expect(WEBHOOK_EVENT_TYPES).toEqual([
      "patient_flow.completed",
      "connection.token_refresh_failed",
      "records.sync.completed",
      "records.sync.failed",
    ]);
    expect(API_VERSION).toBe("2026-04-25");
  });

  it("narrows data.object by type", () => {
    expectTypeOf<WebhookEventOf<"patient_flow.completed">>().toEqualTypeOf<PatientFlowCompletedEvent>();
    expectTypeOf<WebhookEvent["type"]>().toEqualTypeOf<WebhookEventType>();
    expectTypeOf<PatientFlow["status"]>().toEqualTypeOf<"open" | "complete" | "expired">();
    expectTypeOf<Connection["id"]>().toEqualTypeOf<string | null>();
    const failed = {
      id: "evt_1",
      object: "event",
      type: "records.sync.failed",
      api_version: API_VERSION,
      created_at: "2026-04-25T14:35:00.000Z",
      data: { object: { resource_type: "records_sync", patient_id: "p", connection_id: "fhirsrc_x", error_message: "boom" } },
    } satisfies WebhookEvent;
    expect(describeEvent(failed)).toBe("boom");
    expect(describeEvent({ ...failed, type: "patient.merged" } as unknown as WebhookEvent)).toBe("unhandled patient.merged");
  });

  it("isWebhookEventType guards the union", () => {
    const value: unknown = "records.sync.completed";
    expect(isWebhookEventType(value)).toBe(true);
    if (isWebhookEventType(value)) expectTypeOf(value).toEqualTypeOf<WebhookEventType>();
    expect(isWebhookEventType("records.sync")).toBe(false);
    expect(isWebhookEventType(undefined)).toBe(false);
  });
});
