import { constructEvent, fixtures } from "@medblocks/connect";
import { afterEach, expect, test } from "vitest";
import { answer, hang, startReceiver, type TestReceiver } from "../../../server/test/support/receiver.js";
import { forwardEvent } from "./forward.js";

const SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const event = fixtures.recordsSyncCompleted();
const payload = JSON.stringify(event);
let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

test("a forwarded event is signed over its exact bytes with the session secret", async () => {
  receiver = await startReceiver(answer(204));
  const result = await forwardEvent({ url: `${receiver.url}/in`, id: event.id, payload, secret: SECRET });
  expect(result).toMatchObject({ outcome: "delivered", statusCode: 204, error: null, responseBody: "" });
  const [got] = receiver.requests;
  expect(got!.body).toBe(payload);
  expect(got!.headers["webhook-id"]).toBe(event.id);
  expect((await constructEvent(got!.body, got!.headers["medblocks-signature"] as string, SECRET)).id).toBe(event.id);
});

test("redirects are answers, not followed; bodies are cut at 4 KB", async () => {
  receiver = await startReceiver(answer(302, "", { location: "http://127.0.0.1:1/elsewhere" }));
  expect(await forwardEvent({ url: receiver.url, id: event.id, payload, secret: SECRET })).toMatchObject({ outcome: "http_error", statusCode: 302 });
  receiver.respondWith(answer(500, "x".repeat(100_000)));
  const big = await forwardEvent({ url: receiver.url, id: event.id, payload, secret: SECRET });
  expect(big).toMatchObject({ outcome: "http_error", statusCode: 500 });
  expect(big.responseBody).toHaveLength(4096);
  expect(receiver.requests).toHaveLength(2);
});

test("a receiver that never answers times out; a closed port is a connection error", async () => {
  receiver = await startReceiver(hang);
  const slow = await forwardEvent({ url: receiver.url, id: event.id, payload, secret: SECRET, timeoutMs: 200 });
  expect(slow).toMatchObject({ outcome: "timeout", statusCode: null, error: "no response within 200 ms", responseBody: null });
  expect(slow.durationMs).toBeGreaterThanOrEqual(190);
  const url = receiver.url;
  await receiver.close();
  receiver = undefined;
  const refused = await forwardEvent({ url, id: event.id, payload, secret: SECRET });
  expect(refused).toMatchObject({ outcome: "connection_error", statusCode: null });
  expect(refused.error).toContain("ECONNREFUSED");
});
