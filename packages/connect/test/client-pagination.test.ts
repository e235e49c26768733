import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListPromise, Medblocks, fixtures, type WebhookEndpoint } from "../src/index.node.js";
import { createTestDatabase, startTestService, type TestDatabase, type TestService } from "./support/server.js";

// ListPromise against the real service: one page on await, every page on iteration, lazily.

let db: TestDatabase;
let api: TestService;
let mb: Medblocks;
let created: WebhookEndpoint[] = [];
const requests: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase("sqlite");
  api = await startTestService(db);
  // Counts the list requests actually sent, to prove pages are fetched only when needed.
  const countingFetch: typeof fetch = (input, init) => {
    requests.push(String(input).replace(api.url, ""));
    return fetch(input, init);
  };
  mb = new Medblocks(await api.mintKey("pages"), { baseUrl: api.url, fetch: countingFetch });
  for (let i = 0; i < 12; i++) {
    created.push(await mb.webhooks.create({ url: `https://hooks.example.com/${i}`, events: ["records.sync.completed"], metadata: { n: String(i) } }));
  }
  created = created.reverse(); // newest first, as lists are
  for (const i of [1, 4, 5, 9, 11]) await mb.webhooks.update(created[i]!.id, { status: "disabled" });
});
afterAll(async () => {
  await api?.close();
  await db?.dispose();
});

describe("ListPromise against the service", () => {
  it("await gives one page with has_more and next_cursor", async () => {
    const page = await mb.webhooks.list({ limit: 5 });
    expect(page.data.map((e) => e.id)).toEqual(created.slice(0, 5).map((e) => e.id));
    expect(page).toMatchObject({ resource_type: "list", has_more: true, next_cursor: created[4]!.id });
    const next = await mb.webhooks.list({ limit: 5, starting_after: page.next_cursor! });
    expect(next.data.map((e) => e.id)).toEqual(created.slice(5, 10).map((e) => e.id));
  });

  it("autoPagingIterator walks all three pages in order", async () => {
    requests.length = 0;
    const ids: string[] = [];
    for await (const endpoint of mb.webhooks.list({ limit: 5 }).autoPagingIterator()) ids.push(endpoint.id);
    expect(ids).toEqual(created.map((e) => e.id));
    expect(requests).toEqual([
      "/webhooks?limit=5",
      `/webhooks?limit=5&starting_after=${created[4]!.id}`,
      `/webhooks?limit=5&starting_after=${created[9]!.id}`,
    ]);
  });

  it("for await on the list promise itself, keeping the filter on every page, stopping early fetches no more", async () => {
    const disabled: string[] = [];
    for await (const endpoint of mb.webhooks.list({ status: "disabled", limit: 2 })) disabled.push(endpoint.id);
    expect(disabled).toEqual([1, 4, 5, 9, 11].map((i) => created[i]!.id));

    requests.length = 0;
    const list = mb.webhooks.list({ limit: 2 });
    for await (const endpoint of list) if (endpoint.id === created[2]!.id) break;
    expect(requests).toHaveLength(2);
  });

  it("listEvents pages too", async () => {
    const target = created[0]!;
    const published: string[] = [];
    for (let i = 0; i < 7; i++) {
      const page = await mb.events.publish(fixtures.recordsSyncCompleted({ total: i }));
      published.push(page.data.find((r) => r.webhook_endpoint_id === target.id)!.id);
    }
    const list = mb.webhooks.listEvents(target.id, { limit: 3 });
    expect(list).toBeInstanceOf(ListPromise);
    expect((await list).data).toHaveLength(3);
    const ids: string[] = [];
    for await (const record of list.autoPagingIterator()) ids.push(record.id);
    expect(ids).toEqual(published.reverse());
  });
});
