import { Type } from "typebox";

const Device = Type.String({ minLength: 1, maxLength: 100, description: "A stable name for the machine running `medblocks listen`." });
const Events = Type.Optional(Type.String({ maxLength: 500, description: "Comma-separated event types; default every type." }));

export const ListenSessionBody = Type.Object({ device: Device, events: Events }, { additionalProperties: false });

export const ListenStreamQuery = Type.Object({ device: Device, events: Events }, { additionalProperties: false });

export const ListenSession = Type.Object({
  resource_type: Type.Literal("listen_session"),
  webhook_endpoint_id: Type.String(),
  device: Type.String(),
  events: Type.Array(Type.String()),
  secret: Type.String({ description: "The session's own whsec_ secret: the CLI signs forwarded events with it." }),
});

export const ListenAttemptBody = Type.Object(
  {
    event_id: Type.String({ maxLength: 64 }),
    lease: Type.String({ maxLength: 64, description: "The lease token streamed with the event." }),
    outcome: Type.Union([
      Type.Literal("delivered"),
      Type.Literal("http_error"),
      Type.Literal("timeout"),
      Type.Literal("connection_error"),
    ]),
    status_code: Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()]),
    duration_ms: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    error: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    response_body: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  },
  { additionalProperties: false },
);
