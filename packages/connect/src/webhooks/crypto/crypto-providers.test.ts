import { describe, expect, it } from "vitest";
import { createWebhooks } from "../create-webhooks.js";
import { decodeHex, encodeHex } from "../encoding.js";
import type { CryptoProvider } from "./crypto-provider.js";
import { nodeCryptoProvider } from "./node.js";
import { cachedStringKeyCount, webCryptoProvider } from "./web.js";

// Expected values come from RFC 4231, `openssl dgst -sha256 -hmac`, and the Standard Webhooks
// reference libraries' published signing vector; none is computed by the code under test.
const SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const T = 1714052100;
const BODY = '{"id":"evt_01J9YR9N3X4VZ6P2K5RH7M3LMP","object":"event","type":"records.sync.completed"}';
const BODY_MAC = "e93889b83243097e888af3b52e64518f1b1bb77e49122d6dbea1f73362484ce9";
const UNICODE_BODY = '{"note":"héllo wörld ✓ 🩺"}';
const UNICODE_MAC = "4a656a5938fae4c96dcdf7842a8e825d00634a83021ae33982ad299acc066ed3";

const SW = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

const utf8 = (text: string) => new TextEncoder().encode(text);

describe.each<[string, CryptoProvider]>([
  ["node", nodeCryptoProvider],
  ["web", webCryptoProvider],
])("crypto provider: %s", (name, provider) => {
  const webhooks = createWebhooks(provider);

  it("reports its name", () => {
    expect(provider.name).toBe(name);
  });

  it("matches RFC 4231 test cases 1 and 2", async () => {
    const key1 = new Uint8Array(20).fill(0x0b);
    expect(encodeHex(await provider.hmacSha256(key1, ["Hi There"]))).toBe(
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    );
    expect(encodeHex(await provider.hmacSha256("Jefe", ["what do ya want for nothing?"]))).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("hashes the concatenation of parts, strings as UTF-8, bytes as they are", async () => {
    const whole = await provider.hmacSha256(SECRET, [`${T}.${UNICODE_BODY}`]);
    expect(encodeHex(whole)).toBe(UNICODE_MAC);
    expect(encodeHex(await provider.hmacSha256(SECRET, [`${T}.`, UNICODE_BODY]))).toBe(UNICODE_MAC);
    expect(encodeHex(await provider.hmacSha256(SECRET, [`${T}.`, utf8(UNICODE_BODY)]))).toBe(UNICODE_MAC);
    expect(encodeHex(await provider.hmacSha256(utf8(SECRET), [utf8(`${T}.${UNICODE_BODY}`)]))).toBe(UNICODE_MAC);
    expect(encodeHex(await provider.hmacSha256(SECRET, ["", `${T}.`, "", UNICODE_BODY]))).toBe(UNICODE_MAC);
  });

  it("compares bytes for equality, including length", () => {
    const a = decodeHex(BODY_MAC, 32)!;
    const b = decodeHex(BODY_MAC, 32)!;
    expect(provider.timingSafeEqual(a, b)).toBe(true);
    b[31] = b[31]! ^ 1;
    expect(provider.timingSafeEqual(a, b)).toBe(false);
    expect(provider.timingSafeEqual(a, a.subarray(0, 31))).toBe(false);
    expect(provider.timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("signs Medblocks-Signature fixed vectors", async () => {
    expect(await webhooks.signMedblocksSignature({ payload: BODY, secrets: [SECRET], timestamp: T })).toBe(
      `t=${T},v1=${BODY_MAC}`,
    );
    expect(await webhooks.signMedblocksSignature({ payload: utf8(UNICODE_BODY), secrets: [SECRET], timestamp: T })).toBe(
      `t=${T},v1=${UNICODE_MAC}`,
    );
  });

  it("verifies the fixed vectors", async () => {
    const event = await webhooks.constructEvent(BODY, `t=${T},v1=${BODY_MAC}`, SECRET, { tolerance: Infinity });
    expect(event).toEqual({ id: "evt_01J9YR9N3X4VZ6P2K5RH7M3LMP", object: "event", type: "records.sync.completed" });
    await expect(
      webhooks.verifySignature(utf8(UNICODE_BODY), `t=${T},v1=${UNICODE_MAC}`, SECRET, { tolerance: Infinity }),
    ).resolves.toBeUndefined();
    const flipped = BODY_MAC.slice(0, -1) + (BODY_MAC.endsWith("9") ? "8" : "9");
    await expect(
      webhooks.constructEvent(BODY, `t=${T},v1=${flipped}`, SECRET, { tolerance: Infinity }),
    ).rejects.toMatchObject({ reason: "no_matching_signature" });
  });

  it("reproduces the published Standard Webhooks signing vector", async () => {
    const headers = await webhooks.signStandardWebhooks({
      id: SW.id,
      payload: SW.payload,
      secrets: [SW.secret],
      timestamp: SW.timestamp,
    });
    expect(headers).toEqual({
      "webhook-id": SW.id,
      "webhook-timestamp": String(SW.timestamp),
      "webhook-signature": SW.signature,
    });
  });
});

describe("node provider: encoded MACs", () => {
  // RFC 4231 test cases 1 and 2, as the RFC prints them (hex) and re-encoded as base64.
  const key1 = new Uint8Array(20).fill(0x0b);
  const CASE1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const CASE2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const encoded = nodeCryptoProvider.hmacSha256Encoded!;

  it("writes the same MAC as lowercase hex", () => {
    expect(encoded(key1, ["Hi There"], "hex")).toBe(CASE1);
    expect(encoded("Jefe", ["what do ya ", "want for nothing?"], "hex")).toBe(CASE2);
  });

  it("writes the same MAC as standard base64", () => {
    expect(encoded(key1, ["Hi There"], "base64")).toBe(Buffer.from(CASE1, "hex").toString("base64"));
    expect(encoded(utf8("Jefe"), [utf8("what do ya want for nothing?")], "base64")).toBe(
      Buffer.from(CASE2, "hex").toString("base64"),
    );
  });

  it("web crypto has none, so signing there takes the asynchronous path", () => {
    expect(webCryptoProvider.hmacSha256Encoded).toBeUndefined();
  });
});

describe("web crypto key cache", () => {
  it("stays bounded while signing with many secrets", async () => {
    for (let i = 0; i < 100; i++) await webCryptoProvider.hmacSha256(`whsec_cache_${i}`, ["x"]);
    expect(cachedStringKeyCount()).toBe(64);
    // A cached key still gives the right MAC.
    const again = await webCryptoProvider.hmacSha256("whsec_cache_99", ["x"]);
    expect(encodeHex(again)).toBe(encodeHex(await nodeCryptoProvider.hmacSha256("whsec_cache_99", ["x"])));
  });
});
