import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";
import { sleep, waitUntil } from "../support/wait.js";

interface SseMessage {
  event: string;
  id?: string;
  data: any;
}

/** A minimal Server-Sent Events reader over fetch, enough to drive the listen stream in tests. */
async function openStream(url: string, key: string) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const pump = (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: Partial<SseMessage> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) message.event = line.slice(7);
            else if (line.startsWith("id: ")) message.id = line.slice(4);
            else if (line.startsWith("data: ")) message.data = JSON.parse(line.slice(6));
          }
          if (message.event) messages.push(message as SseMessage);
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    response,
    messages,
    webhooks: () => messages.filter((m) => m.event === "webhook"),
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

describeEachDatabase("listen sessions", (kind) => {
  let db: TestDatabase;
  let api: TestService;
  let key: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    api = await startTestService(db);
    key = await api.mintKey("listener-org");
  });
  afterAll(async () => {
    await api?.close();
    await db?.dispose();
  });
  const publish = async (total: number) =>
    (await api.request("POST", "/events", { key, body: { type: "records.sync.completed", data: { object: { total } } } })).body.data as { id: string; webhook_endpoint_id: string }[];

  test("the session's secret is stable per machine; the endpoint is hidden from the endpoint API", async () => {
    const first = await api.request("POST", "/listen/sessions", { key, body: { device: "laptop-1" } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ resource_type: "listen_session", device: "laptop-1", events: ["*"] });
    expect(first.body.secret).toMatch(/^whsec_/);
    const again = await api.request("POST", "/listen/sessions", { key, body: { device: "laptop-1" } });
    expect(again.body.secret).toBe(first.body.secret);
    const other = await api.request("POST", "/listen/sessions", { key, body: { device: "laptop-2" } });
    expect(other.body.secret).not.toBe(first.body.secret);
    expect((await api.request("GET", "/webhooks", { key })).body.data).toEqual([]);
    expect((await api.request("GET", `/webhooks/${first.body.webhook_endpoint_id}`, { key })).status).toBe(404);
    for (const body of [{ device: "a b" }, { device: "" }, { device: "x", events: "nope" }, { device: "x", extra: 1 }]) {
      expect((await api.request("POST", "/listen/sessions", { key, body })).status, JSON.stringify(body)).toBe(400);
    }
  });

  test("stream, report, reconnect: events flow while connected and unreported ones are resent", async () => {
    const stream = await openStream(`${api.url}/listen/stream?device=laptop-1&events=records.sync.completed`, key);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get("content-type")).toContain("text/event-stream");
    await waitUntil(() => stream.messages.find((m) => m.event === "session"));
    const session = stream.messages[0]!.data;
    expect(session.secret).toMatch(/^whsec_/);

    const [record] = await publish(1);
    expect(record!.webhook_endpoint_id).toBe(session.webhook_endpoint_id);
    const [delivery] = await waitUntil(() => (stream.webhooks().length > 0 ? stream.webhooks() : null));
    expect(delivery!.id).toBe(record!.id);
    expect(JSON.parse(delivery!.data.payload)).toMatchObject({ id: record!.id, type: "records.sync.completed" });

    const reported = await api.request("POST", "/listen/attempts", {
      key,
      body: { event_id: record!.id, lease: delivery!.data.lease, outcome: "delivered", status_code: 200, duration_ms: 12, response_body: "ok" },
    });
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({ id: record!.id, attempts: 1, last_status_code: 200, next_attempt_at: null });
    expect(reported.body.delivered_at).not.toBeNull();
    const log = (await api.request("GET", `/events/${record!.id}/attempts`, { key })).body.data;
    expect(log).toMatchObject([{ attempt: 1, outcome: "delivered", status_code: 200, duration_ms: 12, response_body: "ok" }]);
    const replay = await api.request("POST", "/listen/attempts", {
      key,
      body: { event_id: record!.id, lease: delivery!.data.lease, outcome: "delivered", status_code: 200, duration_ms: 1 },
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error.param).toBe("lease");

    // Streamed but never reported when the session drops: resent to the next session.
    const [unreported] = await publish(2);
    await waitUntil(() => stream.webhooks().some((m) => m.id === unreported!.id));
    await stream.close();
    await waitUntil(async () => {
      const ws = { organizationId: (await db.store.findOrganizationByName("listener-org"))!.id, mode: "sandbox" as const };
      return (await db.store.findEndpoint(ws, session.webhook_endpoint_id))?.status === "disabled";
    });
    // Published while nobody listens: recorded, never streamed.
    const [missed] = await publish(3);
    expect(missed).toBeDefined();

    const next = await openStream(`${api.url}/listen/stream?device=laptop-1`, key);
    await waitUntil(() => next.webhooks().some((m) => m.id === unreported!.id));
    await sleep(700);
    expect(next.webhooks().map((m) => m.id)).not.toContain(missed!.id);
    await next.close();
  });

  test("a failed forward is logged and not retried; bad reports get the envelope", async () => {
    const stream = await openStream(`${api.url}/listen/stream?device=laptop-3`, key);
    await waitUntil(() => stream.messages.find((m) => m.event === "session"));
    const [record] = (await publish(4)).filter((r) => r.webhook_endpoint_id === stream.messages[0]!.data.webhook_endpoint_id);
    const delivery = await waitUntil(() => stream.webhooks().find((m) => m.id === record!.id));
    const reported = await api.request("POST", "/listen/attempts", {
      key,
      body: { event_id: record!.id, lease: delivery.data.lease, outcome: "connection_error", status_code: null, duration_ms: 3, error: "ECONNREFUSED 127.0.0.1:3000" },
    });
    expect(reported.body).toMatchObject({ attempts: 1, delivered_at: null, next_attempt_at: null });
    for (const [body, param] of [
      [{ event_id: "evt_nope", lease: "x", outcome: "delivered", status_code: 200, duration_ms: 1 }, "event_id"],
      [{ event_id: record!.id, lease: "forged", outcome: "delivered", status_code: 200, duration_ms: 1 }, "lease"],
      [{ event_id: record!.id, lease: delivery.data.lease, outcome: "blocked", status_code: 200, duration_ms: 1 }, "outcome"],
    ] as const) {
      const response = await api.request("POST", "/listen/attempts", { key, body });
      expect([400, 404]).toContain(response.status);
      expect(response.body.error.param).toBe(param);
    }
    const stranger = await api.mintKey("stranger-org");
    expect((await api.request("POST", "/listen/attempts", { key: stranger, body: { event_id: record!.id, lease: delivery.data.lease, outcome: "delivered", status_code: 200, duration_ms: 1 } })).status).toBe(404);
    await stream.close();
  });

  test("shutdown ends open streams instead of waiting for them", async () => {
    const own = await startTestService(db);
    const stream = await openStream(`${own.url}/listen/stream?device=laptop-9`, key);
    await waitUntil(() => stream.messages.find((m) => m.event === "session"));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    await stream.close();
  });
});
