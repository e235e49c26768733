import { afterEach, describe, expect, it, vi } from "vitest";
import { API_VERSION, WEBHOOK_EVENT_TYPES } from "../types/events.js";
import { fixtures } from "./fixtures.js";
import { ulidTime } from "./ulid.js";

const ENVELOPE_KEYS = ["id", "object", "type", "api_version", "created_at", "data"];
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EVT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fixtures", () => {
  const builders = [
    ["patientFlowCompleted", "patient_flow.completed", () => fixtures.patientFlowCompleted()],
    ["connectionTokenRefreshFailed", "connection.token_refresh_failed", () => fixtures.connectionTokenRefreshFailed()],
    ["recordsSyncCompleted", "records.sync.completed", () => fixtures.recordsSyncCompleted()],
    ["recordsSyncFailed", "records.sync.failed", () => fixtures.recordsSyncFailed()],
  ] as const;

  it("cover every event type", () => {
    expect(builders.map(([, type]) => type)).toEqual([...WEBHOOK_EVENT_TYPES]);
  });

  it.each(builders)("%s builds a %s envelope in contract key order", (_name, type, build) => {
    vi.spyOn(Date, "now").mockReturnValue(Date.UTC(2026, 3, 25, 14, 35, 0, 123));
    const event = build();
    expect(Object.keys(event)).toEqual(ENVELOPE_KEYS);
    expect(event.id).toMatch(EVT_ID);
    expect(ulidTime(event.id.slice(4))).toBe(Date.UTC(2026, 3, 25, 14, 35, 0, 123));
    expect(event.object).toBe("event");
    expect(event.type).toBe(type);
    expect(event.api_version).toBe(API_VERSION);
    expect(event.created_at).toBe("2026-04-25T14:35:00.123Z");
    expect(Object.keys(event.data)).toEqual(["object"]);
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it("makes a fresh event id per call", () => {
    expect(fixtures.recordsSyncFailed().id).not.toBe(fixtures.recordsSyncFailed().id);
  });

  it("patientFlowCompleted: a realistic complete flow with the PatientFlow fields in contract order", () => {
    const flow = fixtures.patientFlowCompleted().data.object;
    expect(Object.keys(flow)).toEqual([
      "id", "resource_type", "status", "url", "patient_id", "connection_id", "recommended_connection_ids",
      "return_url", "return_button_label", "connections", "expires_at", "metadata", "created_at",
    ]);
    expect(flow.id).toMatch(/^pf_[0-9A-Z]{26}$/);
    expect(flow).toMatchObject({ resource_type: "patient_flow", status: "complete" });
    expect(flow.url).toContain(flow.id);
    expect(flow.connections).toHaveLength(1);
    const [connection] = flow.connections;
    expect(connection).toMatchObject({ resource_type: "connection", status: "active", patient_id: flow.patient_id });
    expect(connection!.id).toMatch(/^conn_/);
    expect(connection!.connection_id).toMatch(/^fhirsrc_/);
    for (const time of [flow.created_at, flow.expires_at, connection!.created_at]) expect(time).toMatch(ISO_MS_UTC);
  });

  it("applies overrides to data.object and keeps nested connections consistent", () => {
    const event = fixtures.patientFlowCompleted({ patient_id: "user_42", status: "expired", metadata: { a: 1 } });
    expect(event.data.object).toMatchObject({ patient_id: "user_42", status: "expired", metadata: { a: 1 } });
    expect(event.data.object.connections[0]!.patient_id).toBe("user_42");
    expect(event.id).toMatch(EVT_ID);
  });

  it("ignores overrides set to undefined", () => {
    expect(fixtures.recordsSyncCompleted({ total: undefined }).data.object.total).toBe(248);
  });

  it("connectionTokenRefreshFailed: a refresh_failed connection with a failure code and time", () => {
    const connection = fixtures.connectionTokenRefreshFailed({ patient_id: "p_9" }).data.object;
    expect(Object.keys(connection)).toEqual([
      "id", "resource_type", "connection_id", "patient_id", "status", "failure_code", "failure_at", "created_at",
    ]);
    expect(connection).toMatchObject({ status: "refresh_failed", failure_code: "invalid_grant", patient_id: "p_9" });
    expect(connection.failure_at).toMatch(ISO_MS_UTC);
  });

  it("recordsSyncCompleted and recordsSyncFailed carry their summaries", () => {
    const done = fixtures.recordsSyncCompleted({ total: 3, errors: 1 }).data.object;
    expect(Object.keys(done)).toEqual(["resource_type", "patient_id", "connection_id", "total", "errors", "duration_ms"]);
    expect(done).toMatchObject({ resource_type: "records_sync", total: 3, errors: 1 });
    const failed = fixtures.recordsSyncFailed({ error_message: "boom" }).data.object;
    expect(Object.keys(failed)).toEqual(["resource_type", "patient_id", "connection_id", "error_message"]);
    expect(failed.error_message).toBe("boom");
  });
});
