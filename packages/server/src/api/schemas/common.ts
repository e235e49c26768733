import { Type, type TSchema } from "typebox";

/** Shapes shared by every route: the error envelope, list pages and pagination parameters. */

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      type: Type.String(),
      code: Type.String(),
      message: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
      doc_url: Type.String(),
      request_id: Type.String(),
    }),
  },
  { description: "The body of every non-2xx response." },
);

export const Timestamp = Type.String({ format: "date-time", description: "ISO 8601, UTC, with milliseconds" });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);

export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
  description: "Your own key-value pairs: at most 50 keys of 1-40 characters, string values of at most 500 characters.",
});

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: "Page size, 1 to 100." })),
  starting_after: Type.Optional(
    Type.String({ maxLength: 64, description: "The `next_cursor` of the previous page." }),
  ),
};

export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({
    resource_type: Type.Literal("list"),
    data: Type.Array(item),
    has_more: Type.Boolean(),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  });
}

/** Responses every authenticated route can give besides its own success shape. */
export const ErrorResponses = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  413: ErrorEnvelope,
  429: ErrorEnvelope,
  500: ErrorEnvelope,
};

export const IdParams = Type.Object({ id: Type.String() });
