import { describe, expect, it } from "vitest";
import { EVENT_ATTEMPT_FIELDS, fieldsOf, paramsOf, WEBHOOK_ENDPOINT_FIELDS } from "./api-field-manifests.js";

// The `@ts-expect-error` lines are the assertions: `tsc -p packages/connect` fails if any of these
// drifts is accepted by the compiler.
interface Sample {
  id: string;
  status: "on" | "off";
  note: string | null;
  count: number;
  tags: string[];
  flag?: boolean;
}

describe("field manifests", () => {
  it("accept a manifest that matches its type exactly", () => {
    const ok = fieldsOf<Sample>()({ id: "string", status: ["on", "off"], note: "string|null", count: "integer", tags: "array", flag: "boolean" });
    expect(Object.keys(ok)).toHaveLength(6);
  });

  it("reject missing and extra fields, wrong kinds, nullability and literal lists (checked by tsc)", () => {
    const build = fieldsOf<Sample>();
    // @ts-expect-error a field of the type is missing
    build({ id: "string", status: ["on", "off"], note: "string|null", count: "integer", tags: "array" });
    // @ts-expect-error a field the type does not have
    build({ id: "string", status: ["on", "off"], note: "string|null", count: "integer", tags: "array", flag: "boolean", extra: "string" });
    // @ts-expect-error nullability lost
    build({ id: "string", status: ["on", "off"], note: "string", count: "integer", tags: "array", flag: "boolean" });
    // @ts-expect-error wrong kind
    build({ id: "integer", status: ["on", "off"], note: "string|null", count: "integer", tags: "array", flag: "boolean" });
    // @ts-expect-error a literal of the union left out
    build({ id: "string", status: ["on"], note: "string|null", count: "integer", tags: "array", flag: "boolean" });
    // @ts-expect-error a literal the union does not have
    build({ id: "string", status: ["on", "off", "paused"], note: "string|null", count: "integer", tags: "array", flag: "boolean" });
    const params = paramsOf<{ url: string; description?: string }>();
    // @ts-expect-error optional declared required
    params({ url: "required", description: "required" });
    // @ts-expect-error a parameter the type does not have
    params({ url: "required", description: "optional", extra: "optional" });
    const manifest = { url: "required", description: "optional" } as const;
    expect(params(manifest)).toBe(manifest);
  });

  it("spell out the literal values the API must declare", () => {
    expect(WEBHOOK_ENDPOINT_FIELDS.status).toEqual(["active", "disabled"]);
    expect(EVENT_ATTEMPT_FIELDS.outcome).toEqual(["delivered", "http_error", "timeout", "connection_error", "blocked"]);
  });
});
