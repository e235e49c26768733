import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fixtures } from "./fixtures.js";
import { createWebhooks } from "./create-webhooks.js";
import type { CryptoProvider } from "./crypto/crypto-provider.js";
import { nodeCryptoProvider } from "./crypto/node.js";
import { webCryptoProvider } from "./crypto/web.js";
import { MedblocksSignatureError, type SignatureErrorReason } from "./signature-error.js";

const SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const OLD_SECRET = "whsec_Xb9q0sXk3sKqk2m2b0m6oQ1B5n7lq8p0Yw3cE6a4t9U=";
const NOW = 1_777_000_000;
const BODY = JSON.stringify(fixtures.patientFlowCompleted({ patient_id: "user_42" }));

async function reasonOf(promise: Promise<unknown>): Promise<SignatureErrorReason> {
  const error = await promise.then(
    () => {
      throw new Error("expected a MedblocksSignatureError, but verification passed");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MedblocksSignatureError);
  return (error as MedblocksSignatureError).reason;
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MedblocksSignatureError);
  return (error as MedblocksSignatureError).message;
}

describe.each<[string, CryptoProvider]>([
  ["node", nodeCryptoProvider],
  ["web", webCryptoProvider],
])("constructEvent (%s crypto)", (_name, provider) => {
  const { constructEvent, signMedblocksSignature } = createWebhooks(provider);
  const sign = (payload: string | Uint8Array, timestamp = NOW, secrets = [SECRET]) =>
    signMedblocksSignature({ payload, secrets, timestamp });
  const v1Of = async (payload: string, timestamp = NOW, secret = SECRET) =>
    (await sign(payload, timestamp, [secret])).split(",v1=")[1]!;

  beforeEach(() => {
    vi.spyOn(Date, "now").mockReturnValue(NOW * 1000 + 999);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("returns the typed event for a valid delivery", async () => {
    const event = await constructEvent(BODY, await sign(BODY), SECRET);
    expect(event).toEqual(JSON.parse(BODY));
    expect(event.type).toBe("patient_flow.completed");
  });

  describe("body types", () => {
    it.each<[string, (s: string) => string | Uint8Array | ArrayBuffer]>([
      ["string", (s) => s],
      ["Buffer", (s) => Buffer.from(s)],
      ["Uint8Array", (s) => new TextEncoder().encode(s)],
      ["ArrayBuffer", (s) => new TextEncoder().encode(s).buffer as ArrayBuffer],
      ["Buffer slice of a larger pool", (s) => Buffer.concat([Buffer.from("xx"), Buffer.from(s)]).subarray(2)],
    ])("accepts a %s", async (_kind, make) => {
      const event = await constructEvent(make(BODY), await sign(BODY), SECRET);
      expect(event.id).toBe(JSON.parse(BODY).id);
    });

    it("verifies a unicode body as its UTF-8 bytes, whether signed as text or bytes", async () => {
      const body = JSON.stringify({ id: "evt_1", type: "records.sync.failed", note: "Grüße, 東京, 🩺, \u2028" });
      const header = await sign(new TextEncoder().encode(body));
      expect((await constructEvent(body, header, SECRET)).id).toBe("evt_1");
      expect((await constructEvent(Buffer.from(body), header, SECRET)).id).toBe("evt_1");
    });

    it("verifies a 1 MB body, and rejects it after a one-byte change", async () => {
      const filler = "x".repeat(1024 * 1024);
      const body = JSON.stringify({ id: "evt_big", type: "records.sync.completed", filler });
      expect(body.length).toBeGreaterThan(1024 * 1024);
      const header = await sign(body);
      expect((await constructEvent(Buffer.from(body), header, SECRET)).id).toBe("evt_big");
      const tampered = Buffer.from(body);
      tampered[tampered.length - 3] = 0x79;
      expect(await reasonOf(constructEvent(tampered, header, SECRET))).toBe("no_matching_signature");
    });

    it("rejects a re-serialized body (whitespace changed) as no_matching_signature", async () => {
      const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
      expect(await reasonOf(constructEvent(pretty, await sign(BODY), SECRET))).toBe("no_matching_signature");
    });

    it.each<[string, unknown]>([
      ["a parsed object", JSON.parse(BODY)],
      ["undefined", undefined],
      ["null", null],
      ["a number", 42],
    ])("rejects %s as invalid_body with the raw-body explanation", async (kind, body) => {
      const promise = constructEvent(body as string, await sign(BODY), SECRET);
      expect(await reasonOf(promise)).toBe("invalid_body");
      const message = await messageOf(constructEvent(body as string, await sign(BODY), SECRET));
      expect(message).toContain("express.raw");
      expect(message).toContain("request.text()");
      if (kind === "a parsed object") expect(message).toMatch(/already-parsed object.*express\.json\(\)/);
    });
  });

  describe("missing_header", () => {
    it.each([null, undefined, "", "   "])("for %j", async (header) => {
      expect(await reasonOf(constructEvent(BODY, header, SECRET))).toBe("missing_header");
    });

    it("wins over every later failure, including a parsed body", async () => {
      expect(await reasonOf(constructEvent({} as unknown as string, null, SECRET))).toBe("missing_header");
    });
  });

  describe("malformed_header", () => {
    it.each([
      ["no t", `v1=${"a".repeat(64)}`],
      ["empty t", `t=,v1=${"a".repeat(64)}`],
      ["negative t", `t=-5,v1=${"a".repeat(64)}`],
      ["fractional t", `t=1.5,v1=${"a".repeat(64)}`],
      ["non-numeric t", `t=soon,v1=${"a".repeat(64)}`],
      ["two t entries", `t=${NOW},t=${NOW},v1=${"a".repeat(64)}`],
      ["no v1", `t=${NOW}`],
      ["only empty v1", `t=${NOW},v1=,v1=  `],
      ["only other schemes", `t=${NOW},v0=${"a".repeat(64)},v2=${"a".repeat(64)}`],
      ["garbage", "hello world"],
    ])("%s", async (_case, header) => {
      expect(await reasonOf(constructEvent(BODY, header, SECRET))).toBe("malformed_header");
    });

    it("comes before the tolerance check", async () => {
      expect(await reasonOf(constructEvent(BODY, "t=1", SECRET))).toBe("malformed_header");
    });
  });

  describe("header syntax", () => {
    it("tolerates whitespace around entries, keys and values", async () => {
      const v1 = await v1Of(BODY);
      const header = `  t = ${NOW} ,\tv1 = ${v1}  `;
      expect((await constructEvent(BODY, header, SECRET)).type).toBe("patient_flow.completed");
    });

    it("accepts entries in any order", async () => {
      const v1 = await v1Of(BODY);
      expect((await constructEvent(BODY, `v1=${v1},t=${NOW}`, SECRET)).type).toBe("patient_flow.completed");
    });

    it("ignores unknown schemes, empty v1 values and junk entries", async () => {
      const v1 = await v1Of(BODY);
      const header = `t=${NOW},v0=${"0".repeat(64)},v1=,junk,v2=zz,v1=${v1},,`;
      expect((await constructEvent(BODY, header, SECRET)).type).toBe("patient_flow.completed");
    });

    it("does not take a signature from another scheme", async () => {
      const v1 = await v1Of(BODY);
      expect(await reasonOf(constructEvent(BODY, `t=${NOW},v1=${"0".repeat(64)},v0=${v1}`, SECRET))).toBe(
        "no_matching_signature",
      );
    });

    it("accepts if any of several v1 matches (secret rotation), in either position", async () => {
      const rotated = await sign(BODY, NOW, [SECRET, OLD_SECRET]);
      expect(rotated.split(",v1=")).toHaveLength(3);
      expect((await constructEvent(BODY, rotated, SECRET)).id).toBe(JSON.parse(BODY).id);
      expect((await constructEvent(BODY, rotated, OLD_SECRET)).id).toBe(JSON.parse(BODY).id);
      expect(await reasonOf(constructEvent(BODY, rotated, "whsec_other"))).toBe("no_matching_signature");
    });

    it("rejects v1 values that are not 64 hex digits without throwing anything else", async () => {
      const v1 = await v1Of(BODY);
      for (const bad of [v1.slice(0, 63), `${v1}0`, `${v1.slice(0, 63)}g`, "é".repeat(64)]) {
        expect(await reasonOf(constructEvent(BODY, `t=${NOW},v1=${bad}`, SECRET))).toBe("no_matching_signature");
      }
    });
  });

  describe("timestamp_outside_tolerance", () => {
    it.each([
      ["exactly the tolerance in the past", NOW - 300, true],
      ["exactly the tolerance in the future", NOW + 300, true],
      ["one second too old", NOW - 301, false],
      ["one second too far in the future", NOW + 301, false],
      ["t=0", 0, false],
    ])("%s", async (_case, timestamp, accepted) => {
      const promise = constructEvent(BODY, await sign(BODY, timestamp), SECRET);
      if (accepted) expect((await promise).type).toBe("patient_flow.completed");
      else expect(await reasonOf(promise)).toBe("timestamp_outside_tolerance");
    });

    it("honours a custom tolerance, both ways, at its exact boundary", async () => {
      const options = { tolerance: 10 };
      await expect(constructEvent(BODY, await sign(BODY, NOW - 10), SECRET, options)).resolves.toBeTruthy();
      await expect(constructEvent(BODY, await sign(BODY, NOW + 10), SECRET, options)).resolves.toBeTruthy();
      expect(await reasonOf(constructEvent(BODY, await sign(BODY, NOW - 11), SECRET, options))).toBe(
        "timestamp_outside_tolerance",
      );
      expect(await reasonOf(constructEvent(BODY, await sign(BODY, NOW + 11), SECRET, options))).toBe(
        "timestamp_outside_tolerance",
      );
    });

    it("tolerance 0 accepts only the current second", async () => {
      await expect(constructEvent(BODY, await sign(BODY, NOW), SECRET, { tolerance: 0 })).resolves.toBeTruthy();
      expect(await reasonOf(constructEvent(BODY, await sign(BODY, NOW - 1), SECRET, { tolerance: 0 }))).toBe(
        "timestamp_outside_tolerance",
      );
    });

    it("Infinity disables the check in both directions", async () => {
      for (const timestamp of [0, NOW - 10 * 365 * 86400, NOW + 10 * 365 * 86400]) {
        const event = await constructEvent(BODY, await sign(BODY, timestamp), SECRET, { tolerance: Infinity });
        expect(event.type).toBe("patient_flow.completed");
      }
    });

    it("reports the measured skew and the direction", async () => {
      const old = await messageOf(constructEvent(BODY, await sign(BODY, NOW - 412), SECRET));
      expect(old).toContain("412 s older");
      expect(old).toContain("tolerance is 300 s");
      expect(old).toContain("tolerance: Infinity");
      const ahead = await messageOf(constructEvent(BODY, await sign(BODY, NOW + 3600), SECRET));
      expect(ahead).toContain("3600 s ahead");
      expect(ahead).toMatch(/clock skew/);
    });

    it("is checked before the body and the signature", async () => {
      const header = `t=${NOW - 1000},v1=${"0".repeat(64)}`;
      expect(await reasonOf(constructEvent({} as unknown as string, header, SECRET))).toBe(
        "timestamp_outside_tolerance",
      );
    });
  });

  describe("no_matching_signature", () => {
    it("for a wrong secret, explaining raw body and secret", async () => {
      const message = await messageOf(constructEvent(BODY, await sign(BODY), "whsec_not-the-right-one"));
      expect(message).toMatch(/raw body/);
      expect(message).toMatch(/secret is wrong/);
      expect(message).not.toMatch(/whitespace/);
      expect(message).not.toContain("whsec_not-the-right-one");
    });

    it.each([`${SECRET}\n`, ` ${SECRET}`, `${SECRET} `])("points out leading/trailing whitespace in %j", async (secret) => {
      const message = await messageOf(constructEvent(BODY, await sign(BODY), secret));
      expect(message).toMatch(/leading or trailing whitespace/);
    });

    it("points out a secret without the whsec_ prefix", async () => {
      const message = await messageOf(constructEvent(BODY, await sign(BODY), SECRET.slice("whsec_".length)));
      expect(message).toMatch(/does not start with `whsec_`/);
    });

    it("is checked before the JSON body", async () => {
      expect(await reasonOf(constructEvent("not json", await sign(BODY), SECRET))).toBe("no_matching_signature");
    });
  });

  describe("invalid_body after a valid signature", () => {
    it.each([
      ["not JSON", "{oops"],
      ["an empty body", ""],
      ["a JSON array", "[]"],
      ["JSON null", "null"],
      ["a JSON string", '"evt_1"'],
      ["an object without id", '{"type":"records.sync.failed"}'],
      ["an object without type", '{"id":"evt_1"}'],
      ["a numeric id", '{"id":1,"type":"records.sync.failed"}'],
    ])("%s", async (_case, body) => {
      expect(await reasonOf(constructEvent(body, await sign(body), SECRET))).toBe("invalid_body");
    });

    it("invalid UTF-8 bytes", async () => {
      const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
      expect(await reasonOf(constructEvent(bytes, await sign(bytes), SECRET))).toBe("invalid_body");
    });
  });

  it("returns events of a type this SDK does not know", async () => {
    const body = '{"id":"evt_future","object":"event","type":"patient.merged","data":{"object":{}}}';
    const event = await constructEvent(body, await sign(body), SECRET);
    expect(event.type as string).toBe("patient.merged");
  });

  describe("programming errors", () => {
    it.each<[string, unknown]>([
      ["empty", ""],
      ["undefined", undefined],
      ["null", null],
      ["a number", 123],
      ["a Buffer", Buffer.from(SECRET)],
    ])("a %s secret is a TypeError, even before the header is looked at", async (_case, secret) => {
      await expect(constructEvent(BODY, null, secret as string)).rejects.toThrow(TypeError);
      await expect(constructEvent(BODY, await sign(BODY), secret as string)).rejects.toThrow(/non-empty string/);
    });

    it.each([-1, Number.NaN, "300"])("tolerance %j is a TypeError", async (tolerance) => {
      await expect(
        constructEvent(BODY, await sign(BODY), SECRET, { tolerance: tolerance as number }),
      ).rejects.toThrow(TypeError);
    });
  });

  it("MedblocksSignatureError carries a reason, a name and no HTTP status", async () => {
    const error = (await constructEvent(BODY, null, SECRET).catch((e: unknown) => e)) as MedblocksSignatureError;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("MedblocksSignatureError");
    expect(error.reason).toBe("missing_header");
    expect(error).not.toHaveProperty("statusCode");
    expect(error).not.toHaveProperty("status");
  });
});
