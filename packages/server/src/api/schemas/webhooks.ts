import { Type } from "typebox";
import { ListOf, Metadata, NullableString, PageQuery, Timestamp } from "./common.js";

const EventsList = Type.Array(Type.String({ maxLength: 100 }), {
  description: 'Event types to receive (1 to 5), or ["*"] for every type.',
});
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()], {
  description: "Free text of at most 500 characters; null clears it.",
});
const Url = Type.String({ maxLength: 2048, description: "https:// URL of your receiver." });

const endpointFields = {
  id: Type.String({ description: "wh_…" }),
  resource_type: Type.Literal("webhook_endpoint"),
  url: Type.String(),
  events: Type.Array(Type.String()),
  status: Type.Union([Type.Literal("active"), Type.Literal("disabled")]),
  description: NullableString,
  metadata: Metadata,
  api_version: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
};

/** The endpoint as every route but create and rotate-secret returns it: never with its secret. */
export const WebhookEndpoint = Type.Object(endpointFields);

/** Only create and rotate-secret answer with this schema; it is the one place `secret` is declared. */
export const WebhookEndpointWithSecret = Type.Object(
  { ...endpointFields, secret: Type.String({ description: "whsec_…: shown only in this response. Store it." }) },

);

export const WebhookEndpointList = ListOf(WebhookEndpoint);

export const DeletedWebhookEndpoint = Type.Object({
  id: Type.String(),
  resource_type: Type.Literal("webhook_endpoint"),
  deleted: Type.Literal(true),
});

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    events: EventsList,
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(EventsList),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
    status: Type.Optional(Type.Union([Type.Literal("active"), Type.Literal("disabled")])),
  },
  { additionalProperties: false },
);

export const RotateSecretBody = Type.Union([
  Type.Object(
    {
      expires_in: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 86_400,
          description: "Seconds the old secret keeps signing alongside the new one (0 drops it at once).",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const ListWebhooksQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Type.Union([Type.Literal("active"), Type.Literal("disabled")])) },
  { additionalProperties: false },
);

export const ListEndpointEventsQuery = Type.Object(
  {
    ...PageQuery,
    delivered: Type.Optional(Type.Union([Type.Literal("true"), Type.Literal("false")])),
    type: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const RecoverBody = Type.Object(
  {
    since: Type.String({ maxLength: 64, description: "ISO 8601 time; at most 14 days before `until`." }),
    until: Type.Optional(Type.String({ maxLength: 64, description: "ISO 8601 time; default now." })),
  },
  { additionalProperties: false },
);

export const RecoverResult = Type.Object({ enqueued: Type.Integer() });
