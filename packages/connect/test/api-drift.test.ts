import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, startTestService, type TestDatabase, type TestService } from "./support/server.js";
import {
  DELETED_WEBHOOK_ENDPOINT_FIELDS,
  ERROR_BODY_PARAMS,
  EVENT_ATTEMPT_FIELDS,
  EVENT_PUBLISH_PARAMS,
  LIST_PAGE_FIELDS,
  PAGE_PARAMS,
  RECOVER_RESULT_FIELDS,
  WEBHOOK_ENDPOINT_CREATE_PARAMS,
  WEBHOOK_ENDPOINT_FIELDS,
  WEBHOOK_ENDPOINT_LIST_EVENTS_PARAMS,
  WEBHOOK_ENDPOINT_LIST_PARAMS,
  WEBHOOK_ENDPOINT_RECOVER_PARAMS,
  WEBHOOK_ENDPOINT_ROTATE_SECRET_PARAMS,
  WEBHOOK_ENDPOINT_UPDATE_PARAMS,
  WEBHOOK_ENDPOINT_WITH_SECRET_FIELDS,
  WEBHOOK_EVENT_RECORD_FIELDS,
} from "../src/types/api-field-manifests.js";
import { Medblocks } from "../src/index.node.js";

// The SDK's types against the service's own OpenAPI document: every operation maps to an SDK
// method, and every response and parameter matches the SDK's manifests (names, kinds,
// nullability, literal values, required-ness). A change on either side fails here.

type Manifest = Readonly<Record<string, string | readonly unknown[]>>;
type Params = Readonly<Record<string, "required" | "optional">>;
type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};

interface Operation {
  /** The SDK method, `resource.method`. */
  sdk: string;
  /** The 200 response: an object manifest, or a list page of items of one. */
  response: Manifest | { listOf: Manifest };
  query?: Params;
  body?: Params;
}

const OPERATIONS: Record<string, Operation> = {
  "POST /webhooks": { sdk: "webhooks.create", response: WEBHOOK_ENDPOINT_WITH_SECRET_FIELDS, body: WEBHOOK_ENDPOINT_CREATE_PARAMS },
  "GET /webhooks": { sdk: "webhooks.list", response: { listOf: WEBHOOK_ENDPOINT_FIELDS }, query: WEBHOOK_ENDPOINT_LIST_PARAMS },
  "GET /webhooks/{id}": { sdk: "webhooks.retrieve", response: WEBHOOK_ENDPOINT_FIELDS },
  "PATCH /webhooks/{id}": { sdk: "webhooks.update", response: WEBHOOK_ENDPOINT_FIELDS, body: WEBHOOK_ENDPOINT_UPDATE_PARAMS },
  "DELETE /webhooks/{id}": { sdk: "webhooks.delete", response: DELETED_WEBHOOK_ENDPOINT_FIELDS },
  "POST /webhooks/{id}/rotate-secret": { sdk: "webhooks.rotateSecret", response: WEBHOOK_ENDPOINT_WITH_SECRET_FIELDS, body: WEBHOOK_ENDPOINT_ROTATE_SECRET_PARAMS },
  "GET /webhooks/{id}/events": { sdk: "webhooks.listEvents", response: { listOf: WEBHOOK_EVENT_RECORD_FIELDS }, query: WEBHOOK_ENDPOINT_LIST_EVENTS_PARAMS },
  "POST /webhooks/{id}/recover": { sdk: "webhooks.recover", response: RECOVER_RESULT_FIELDS, body: WEBHOOK_ENDPOINT_RECOVER_PARAMS },
  "GET /events/{id}": { sdk: "events.retrieve", response: WEBHOOK_EVENT_RECORD_FIELDS },
  "GET /events/{id}/attempts": { sdk: "events.listAttempts", response: { listOf: EVENT_ATTEMPT_FIELDS }, query: PAGE_PARAMS },
  "POST /events/{id}/redeliver": { sdk: "events.redeliver", response: WEBHOOK_EVENT_RECORD_FIELDS },
  "POST /events": { sdk: "events.publish", response: { listOf: WEBHOOK_EVENT_RECORD_FIELDS }, body: EVENT_PUBLISH_PARAMS },
};

/**
 * Operations of the document that are deliberately not SDK methods: liveness, and `/listen/…`, the
 * protocol of the CLI's `medblocks listen` (SPEC §9), which is not part of the SDK's contract (§4b).
 */
const notInSdk = (operation: string) => operation === "GET /health" || / \/listen\//.test(operation);

/** The JSON kinds and literal values a schema allows (`anyOf` flattened, `integer` kept apart from `number`). */
function shapeOf(schema: Schema): { kinds: string[]; literals: unknown[] | null } {
  const branches = schema.anyOf ?? [schema];
  const kinds = new Set<string>();
  const literals: unknown[] = [];
  let allLiteral = true;
  for (const branch of branches) {
    if (branch.anyOf) {
      const inner = shapeOf(branch);
      inner.kinds.forEach((k) => kinds.add(k));
      if (inner.literals) literals.push(...inner.literals);
      else allLiteral = false;
      continue;
    }
    for (const type of [branch.type ?? []].flat()) kinds.add(type);
    if (branch.enum) literals.push(...branch.enum);
    else if ("const" in branch) literals.push(branch.const);
    else allLiteral = false;
  }
  return { kinds: [...kinds].sort(), literals: allLiteral ? literals : null };
}

function expectedShape(spec: string | readonly unknown[]): { kinds: string[]; literals: unknown[] | null } {
  if (typeof spec === "string") return { kinds: spec.split("|").sort(), literals: null };
  return { kinds: [...new Set(spec.map((value) => typeof value))].sort(), literals: [...spec] };
}

function compareObject(where: string, schema: Schema, manifest: Manifest): string[] {
  const problems: string[] = [];
  const properties = schema.properties ?? {};
  const actual = Object.keys(properties).sort();
  const expected = Object.keys(manifest).sort();
  for (const name of actual) if (!(name in manifest)) problems.push(`${where}: the API has field '${name}', the SDK type does not`);
  for (const name of expected) if (!(name in properties)) problems.push(`${where}: the SDK type has field '${name}', the API does not`);
  for (const name of expected.filter((n) => n in properties)) {
    const got = shapeOf(properties[name]!);
    const want = expectedShape(manifest[name]!);
    if (got.kinds.join("|") !== want.kinds.join("|")) problems.push(`${where}.${name}: API kind ${got.kinds.join("|")}, SDK ${want.kinds.join("|")}`);
    if (want.literals && JSON.stringify([...(got.literals ?? [])].sort()) !== JSON.stringify([...want.literals].sort())) {
      problems.push(`${where}.${name}: API values ${JSON.stringify(got.literals)}, SDK ${JSON.stringify(want.literals)}`);
    }
  }
  const required = [...(schema.required ?? [])].sort();
  if (required.join() !== actual.join()) problems.push(`${where}: every field is always present, but required lists ${required.join(", ")}`);
  return problems;
}

function compareParams(where: string, declared: Record<string, boolean>, params: Params): string[] {
  const problems: string[] = [];
  for (const [name, required] of Object.entries(declared)) {
    if (!(name in params)) problems.push(`${where}: the API takes '${name}', the SDK params type does not`);
    else if ((params[name] === "required") !== required) problems.push(`${where}.${name}: API ${required ? "required" : "optional"}, SDK ${params[name]}`);
  }
  for (const name of Object.keys(params)) if (!(name in declared)) problems.push(`${where}: the SDK params type has '${name}', the API does not`);
  return problems;
}

describe("SDK types against the service's OpenAPI document", () => {
  let db: TestDatabase;
  let api: TestService;
  let doc: { paths: Record<string, Record<string, any>> };

  beforeAll(async () => {
    db = await createTestDatabase("sqlite");
    api = await startTestService(db);
    doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as typeof doc;
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });

  const operationsOf = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));

  it("every operation of the API is an SDK method, and every SDK method an operation", () => {
    const documented = operationsOf().filter((op) => !notInSdk(op));
    expect(documented.sort()).toEqual(Object.keys(OPERATIONS).sort());
    const mb = new Medblocks("mb_sk_sbx_unused", { baseUrl: api.url });
    for (const { sdk } of Object.values(OPERATIONS)) {
      const [resource, method] = sdk.split(".") as [string, string];
      expect(typeof (mb as unknown as Record<string, Record<string, unknown>>)[resource]?.[method], sdk).toBe("function");
    }
  });

  it.each(Object.entries(OPERATIONS))("%s matches the SDK's response and parameter types", (key, operation) => {
    const [method, path] = key.split(" ") as [string, string];
    const op = doc.paths[path]?.[method.toLowerCase()];
    expect(op, `${key} is missing from the API document`).toBeDefined();
    const schema: Schema = op.responses["200"].content["application/json"].schema;
    const problems: string[] = [];
    if ("listOf" in operation.response) {
      problems.push(...compareObject(`${key} page`, schema, LIST_PAGE_FIELDS));
      problems.push(...compareObject(`${key} item`, schema.properties!.data!.items!, operation.response.listOf as Manifest));
    } else {
      problems.push(...compareObject(key, schema, operation.response as Manifest));
    }
    const query = Object.fromEntries(
      (op.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => [p.name, Boolean(p.required)]),
    );
    problems.push(...compareParams(`${key} query`, query, operation.query ?? {}));
    const bodySchema: Schema | undefined = op.requestBody?.content?.["application/json"]?.schema;
    const objectBody = bodySchema?.anyOf?.find((branch) => branch.type === "object") ?? bodySchema;
    const body = Object.fromEntries(
      Object.keys(objectBody?.properties ?? {}).map((name) => [name, (objectBody?.required ?? []).includes(name)]),
    );
    problems.push(...compareParams(`${key} body`, body, operation.body ?? {}));
    expect(problems).toEqual([]);
  });

  it("the error envelope has exactly the fields MedblocksError reads", () => {
    const schema: Schema = doc.paths["/webhooks"]!.post.responses["400"].content["application/json"].schema;
    const error = schema.properties!.error!;
    expect(Object.keys(error.properties!).sort()).toEqual(Object.keys(ERROR_BODY_PARAMS).sort());
  });

  it("the comparison itself catches drift", () => {
    const schema: Schema = doc.paths["/webhooks/{id}"]!.get.responses["200"].content["application/json"].schema;
    const { url: _url, ...withoutUrl } = WEBHOOK_ENDPOINT_FIELDS;
    expect(compareObject("t", schema, withoutUrl)).toEqual(["t: the API has field 'url', the SDK type does not"]);
    expect(compareObject("t", schema, { ...WEBHOOK_ENDPOINT_FIELDS, paused_at: "string|null" })).toEqual([
      "t: the SDK type has field 'paused_at', the API does not",
    ]);
    expect(compareObject("t", schema, { ...WEBHOOK_ENDPOINT_FIELDS, description: "string" })).toEqual([
      "t.description: API kind null|string, SDK string",
    ]);
    expect(compareObject("t", schema, { ...WEBHOOK_ENDPOINT_FIELDS, status: ["active", "disabled", "paused"] })).toHaveLength(1);
    expect(compareParams("q", { limit: false, cursor: false }, { limit: "optional", starting_after: "optional" })).toHaveLength(2);
  });
});
