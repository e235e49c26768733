import { errorFromResponse, MedblocksConnectionError } from "@medblocks/connect";
import { expect, test } from "vitest";
import { CliError } from "../output.js";
import type { ListenApi } from "./listen-api.js";
import { reconnectBackoffMs, runListenLoop, type ListenHandlers } from "./listen-loop.js";

/** A scripted service: each call to `stream` plays the next step. */
type Step = { frames: string[]; thenHang?: boolean } | { error: unknown };

function fakeApi(steps: Step[]) {
  const calls: { device: string; events: string[] | undefined }[] = [];
  const api = {
    settings: { apiKey: "k", baseUrl: "http://service.test" },
    async stream(device: string, events: string[] | undefined, signal: AbortSignal) {
      calls.push({ device, events });
      const step = steps.shift() ?? { frames: [], thenHang: true };
      if ("error" in step) throw step.error;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const frame of step.frames) controller.enqueue(new TextEncoder().encode(frame));
          if (!step.thenHang) controller.close();
          signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  };
  return { api: api as unknown as ListenApi, calls };
}

const session = (secret = "whsec_a") => `event: session\ndata: ${JSON.stringify({ webhook_endpoint_id: "wh_1", device: "box", events: ["*"], secret })}\n\n`;
const webhook = (id: string) => `id: ${id}\nevent: webhook\ndata: ${JSON.stringify({ id, type: "records.sync.completed", payload: `{"id":"${id}"}`, lease: "l" })}\n\n`;

function recorder(stopAfter: (log: string[]) => boolean, controller: AbortController) {
  const log: string[] = [];
  const note = (entry: string) => {
    log.push(entry);
    if (stopAfter(log)) controller.abort();
  };
  const handlers: ListenHandlers = {
    onSession: (s, reconnected) => note(`${reconnected ? "reconnected" : "session"} ${s.secret}`),
    onWebhook: (e) => note(`webhook ${e.id} ${e.payload}`),
    onDisconnect: (reason, wait) => note(`disconnected ${wait}: ${reason}`),
  };
  return { log, handlers };
}

test("events flow; a closed stream, a network failure and a 503 are retried with growing waits", async () => {
  const { api, calls } = fakeApi([
    { frames: [session(), ": ping\n\n", webhook("evt_1")] },
    { error: new MedblocksConnectionError({ message: "cannot reach http://service.test (ECONNREFUSED)" }) },
    { error: errorFromResponse(503, { error: { code: "unavailable", message: "restarting" } }) },
    { frames: [session(), webhook("evt_2")], thenHang: true },
  ]);
  const stop = new AbortController();
  const { log, handlers } = recorder((l) => l.includes('webhook evt_2 {"id":"evt_2"}'), stop);
  await runListenLoop(api, { device: "box", events: ["records.sync.completed"], signal: stop.signal, handlers, backoffMs: (n) => n + 1 });
  expect(log).toEqual([
    "session whsec_a",
    'webhook evt_1 {"id":"evt_1"}',
    "disconnected 1: the service closed the stream",
    "disconnected 2: cannot reach http://service.test (ECONNREFUSED)",
    "disconnected 3: restarting",
    "reconnected whsec_a",
    'webhook evt_2 {"id":"evt_2"}',
  ]);
  expect(calls).toHaveLength(4);
  expect(calls.every((c) => c.device === "box" && c.events?.[0] === "records.sync.completed")).toBe(true);
});

test("a silent connection is dropped and reopened", async () => {
  const { api, calls } = fakeApi([{ frames: [session()], thenHang: true }, { frames: [session("whsec_b")], thenHang: true }]);
  const stop = new AbortController();
  const { log, handlers } = recorder((l) => l.some((e) => e.startsWith("reconnected")), stop);
  await runListenLoop(api, { device: "box", events: undefined, signal: stop.signal, handlers, silenceMs: 100, backoffMs: () => 0 });
  expect(log).toEqual(["session whsec_a", "disconnected 0: no data from the service for 0.1 s", "reconnected whsec_b"]);
  expect(calls).toHaveLength(2);
});

test("failing to connect at first, or an answer retrying cannot fix, ends the loop", async () => {
  const handlers = recorder(() => false, new AbortController()).handlers;
  const signal = new AbortController().signal;
  const unreachable = fakeApi([{ error: new MedblocksConnectionError({ message: "x" }, { cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }) }) }]);
  await expect(runListenLoop(unreachable.api, { device: "d", events: undefined, signal, handlers })).rejects.toThrow(CliError);
  await expect(runListenLoop(fakeApi([{ error: new MedblocksConnectionError({ message: "x" }) }]).api, { device: "d", events: undefined, signal, handlers })).rejects.toThrow(
    /cannot reach the Medblocks service at http:\/\/service\.test.*medblocks serve/,
  );

  const revoked = errorFromResponse(401, { error: { code: "invalid_api_key", message: "revoked" } });
  const { api } = fakeApi([{ frames: [session()] }, { error: revoked }]);
  await expect(runListenLoop(api, { device: "d", events: undefined, signal, handlers, backoffMs: () => 0 })).rejects.toBe(revoked);
});

test("^C while connecting or waiting to reconnect ends the loop quietly", async () => {
  const stop = new AbortController();
  const { api } = fakeApi([{ frames: [session()] }]);
  const { handlers } = recorder((l) => l.some((e) => e.startsWith("disconnected")), stop);
  await expect(runListenLoop(api, { device: "d", events: undefined, signal: stop.signal, handlers, backoffMs: () => 60_000 })).resolves.toBeUndefined();
});

test("reconnect waits grow from 0.5 s to at most 15 s", () => {
  expect([0, 1, 2, 3, 4, 5, 10].map(reconnectBackoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000]);
});
