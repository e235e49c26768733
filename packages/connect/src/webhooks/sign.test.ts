import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createWebhooks } from "./create-webhooks.js";
import { nodeCryptoProvider } from "./crypto/node.js";
import { webCryptoProvider } from "./crypto/web.js";

const NEW = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const OLD = "whsec_Xb9q0sXk3sKqk2m2b0m6oQ1B5n7lq8p0Yw3cE6a4t9U=";
const T = 1_777_000_000;
const ID = "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP";

// Independent reference implementations, straight from the contract's definitions.
const medblocksV1 = (secret: string, t: number, body: string | Uint8Array) =>
  createHmac("sha256", Buffer.from(secret, "utf8")).update(`${t}.`).update(body).digest("hex");
const standardV1 = (secret: string, id: string, t: number, body: string | Uint8Array) =>
  createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${id}.${t}.`)
    .update(body)
    .digest("base64");

afterEach(() => {
  vi.restoreAllMocks();
});

describe.each([
  ["node", createWebhooks(nodeCryptoProvider)],
  ["web", createWebhooks(webCryptoProvider)],
])("signing (%s crypto)", (_name, webhooks) => {
  const body = '{"id":"evt_1","type":"records.sync.completed","note":"ünïcödé"}';

  it("signMedblocksSignature: t then one v1 per secret, in the given order", async () => {
    const header = await webhooks.signMedblocksSignature({ payload: body, secrets: [NEW, OLD], timestamp: T });
    expect(header).toBe(`t=${T},v1=${medblocksV1(NEW, T, body)},v1=${medblocksV1(OLD, T, body)}`);
  });

  it("signs bytes exactly, never re-encoding them (even invalid UTF-8)", async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x00, 0xc3, 0x28, 0x7d]);
    const header = await webhooks.signMedblocksSignature({ payload: bytes, secrets: [NEW], timestamp: T });
    expect(header).toBe(`t=${T},v1=${medblocksV1(NEW, T, bytes)}`);
    const sw = await webhooks.signStandardWebhooks({ id: ID, payload: bytes, secrets: [NEW], timestamp: T });
    expect(sw["webhook-signature"]).toBe(`v1,${standardV1(NEW, ID, T, bytes)}`);
  });

  it("gives the same signature for a string and its UTF-8 bytes", async () => {
    const fromText = await webhooks.signMedblocksSignature({ payload: body, secrets: [NEW], timestamp: T });
    const fromBytes = await webhooks.signMedblocksSignature({ payload: Buffer.from(body), secrets: [NEW], timestamp: T });
    expect(fromBytes).toBe(fromText);
  });

  it("signStandardWebhooks: space-separated v1,<base64> per secret, key = base64 after whsec_", async () => {
    const headers = await webhooks.signStandardWebhooks({ id: ID, payload: body, secrets: [NEW, OLD], timestamp: T });
    expect(headers).toEqual({
      "webhook-id": ID,
      "webhook-timestamp": String(T),
      "webhook-signature": `v1,${standardV1(NEW, ID, T, body)} v1,${standardV1(OLD, ID, T, body)}`,
    });
  });

  it("signDeliveryHeaders returns both header sets, consistent with the single signers", async () => {
    const input = { id: ID, payload: body, secrets: [NEW, OLD], timestamp: T };
    const headers = await webhooks.signDeliveryHeaders(input);
    expect(Object.keys(headers).sort()).toEqual(
      ["Medblocks-Signature", "webhook-id", "webhook-signature", "webhook-timestamp"].sort(),
    );
    expect(headers["Medblocks-Signature"]).toBe(await webhooks.signMedblocksSignature(input));
    expect(headers).toMatchObject(await webhooks.signStandardWebhooks(input));
    const asRecord: Record<string, string> = headers;
    expect(asRecord["webhook-id"]).toBe(ID);
  });

  it("generateTestHeader signs at now by default, or at the given timestamp, and verifies", async () => {
    vi.spyOn(Date, "now").mockReturnValue(T * 1000 + 500);
    const header = await webhooks.generateTestHeader({ payload: body, secret: NEW });
    expect(header).toBe(`t=${T},v1=${medblocksV1(NEW, T, body)}`);
    expect((await webhooks.constructEvent(body, header, NEW)).id).toBe("evt_1");
    const old = await webhooks.generateTestHeader({ payload: body, secret: NEW, timestamp: 1000 });
    expect(old.startsWith("t=1000,v1=")).toBe(true);
    await expect(webhooks.constructEvent(body, old, NEW)).rejects.toMatchObject({ reason: "timestamp_outside_tolerance" });
  });

  describe("rejects bad input with TypeError", () => {
    const valid = { id: ID, payload: body, secrets: [NEW], timestamp: T };
    it.each<[string, Record<string, unknown>]>([
      ["no secrets", { secrets: [] }],
      ["secrets not an array", { secrets: NEW }],
      ["an empty secret", { secrets: [NEW, ""] }],
      ["a non-string secret", { secrets: [42] }],
      ["a negative timestamp", { timestamp: -1 }],
      ["a fractional timestamp", { timestamp: 1.5 }],
      ["a millisecond timestamp beyond safe integers", { timestamp: 2 ** 60 }],
      ["a string timestamp", { timestamp: "1777000000" }],
      ["an object payload", { payload: { id: "evt_1" } }],
    ])("%s", async (_case, change) => {
      const input = { ...valid, ...change } as typeof valid;
      await expect(webhooks.signMedblocksSignature(input)).rejects.toThrow(TypeError);
      await expect(webhooks.signStandardWebhooks(input)).rejects.toThrow(TypeError);
      await expect(webhooks.signDeliveryHeaders(input)).rejects.toThrow(TypeError);
    });

    it.each(["", 7])("a Standard Webhooks id of %j", async (id) => {
      await expect(webhooks.signStandardWebhooks({ ...valid, id: id as string })).rejects.toThrow(TypeError);
    });

    it.each(["whsec_", "whsec_not*base64", "whsec_a-b_"])("a Standard Webhooks secret %j", async (secret) => {
      await expect(webhooks.signStandardWebhooks({ ...valid, secrets: [secret] })).rejects.toThrow(/whsec_/);
    });

    it("generateTestHeader with an empty secret", async () => {
      await expect(webhooks.generateTestHeader({ payload: body, secret: "" })).rejects.toThrow(TypeError);
    });
  });
});
