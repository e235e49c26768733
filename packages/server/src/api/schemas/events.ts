import { Type } from "typebox";
import { ListOf, NullableString, NullableTimestamp, PageQuery, Timestamp } from "./common.js";

export const EventRecord = Type.Object(
  {
    id: Type.String({ description: "evt_…; stable across retries and redeliveries" }),
    resource_type: Type.Literal("event"),
    webhook_endpoint_id: Type.String(),
    type: Type.String(),
    data: Type.Object({ object: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: true }),
    api_version: Type.String(),
    attempts: Type.Integer({ description: "Attempts made so far" }),
    next_attempt_at: NullableTimestamp,
    delivered_at: NullableTimestamp,
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_response_body: NullableString,
    last_redelivered_at: NullableTimestamp,
    created_at: Timestamp,
  },

);

export const EventAttempt = Type.Object(
  {
    id: Type.String(),
    resource_type: Type.Literal("event_attempt"),
    event_id: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    trigger: Type.Union([Type.Literal("automatic"), Type.Literal("manual")]),
    started_at: Timestamp,
    duration_ms: Type.Integer(),
    status_code: Type.Union([Type.Integer(), Type.Null()]),
    outcome: Type.Union([
      Type.Literal("delivered"),
      Type.Literal("http_error"),
      Type.Literal("timeout"),
      Type.Literal("connection_error"),
      Type.Literal("blocked"),
    ]),
    error: NullableString,
    response_body: NullableString,
  },

);

export const EventRecordList = ListOf(EventRecord);
export const EventAttemptList = ListOf(EventAttempt);

export const PublishBody = Type.Object(
  {
    type: Type.String({ maxLength: 100, description: "One of the event types of the API." }),
    data: Type.Object(
      { object: Type.Object({}, { additionalProperties: true, description: "The resource the event is about." }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const PageOnlyQuery = Type.Object(PageQuery, { additionalProperties: false });
