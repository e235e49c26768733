import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { createWebhooks } from "./create-webhooks.js";
import { nodeCryptoProvider } from "./crypto/node.js";
import { webCryptoProvider } from "./crypto/web.js";
import { fixtures } from "./fixtures.js";

// Third-party verifiers prove the wire format: whatever we sign, they accept, and vice versa.
const stripe = new Stripe("sk_test_interop_only");
const NEW = "whsec_plJ3nmyCDGBKInavdOK15jsl/8+ixWKiF3gg5vY09ZE=";
const OLD = "whsec_Xb9q0sXk3sKqk2m2b0m6oQ1B5n7lq8p0Yw3cE6a4t9U=";
const now = () => Math.floor(Date.now() / 1000);

describe.each([
  ["node", createWebhooks(nodeCryptoProvider)],
  ["web", createWebhooks(webCryptoProvider)],
])("wire compatibility (%s crypto)", (_name, webhooks) => {
  const event = fixtures.patientFlowCompleted({ patient_id: "user_42", metadata: { note: "Grüße 🩺" } });
  const body = JSON.stringify(event);

  describe("stripe 23.1.0", () => {
    it("stripe.webhooks.constructEvent accepts our Medblocks-Signature (string and Buffer body)", async () => {
      const header = await webhooks.signMedblocksSignature({ payload: body, secrets: [NEW], timestamp: now() });
      expect(stripe.webhooks.constructEvent(body, header, NEW)).toEqual(event);
      expect(stripe.webhooks.constructEvent(Buffer.from(body), header, NEW)).toEqual(event);
      expect(await stripe.webhooks.constructEventAsync(body, header, NEW)).toEqual(event);
    });

    it("accepts each secret of a rotation header", async () => {
      const header = await webhooks.signMedblocksSignature({ payload: body, secrets: [NEW, OLD], timestamp: now() });
      expect(stripe.webhooks.constructEvent(body, header, NEW)).toEqual(event);
      expect(stripe.webhooks.constructEvent(body, header, OLD)).toEqual(event);
      expect(() => stripe.webhooks.constructEvent(body, header, "whsec_wrong")).toThrow(/No signatures found/);
    });

    it("we accept stripe's generateTestHeaderString output", async () => {
      const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: NEW });
      expect(await webhooks.constructEvent(body, header, NEW)).toEqual(event);
      const old = stripe.webhooks.generateTestHeaderString({ payload: body, secret: NEW, timestamp: 1_600_000_000 });
      expect(await webhooks.constructEvent(Buffer.from(body), old, NEW, { tolerance: Infinity })).toEqual(event);
      await expect(webhooks.constructEvent(body, header, OLD)).rejects.toMatchObject({ reason: "no_matching_signature" });
    });

    it("produces the same header as stripe for the same input", async () => {
      const timestamp = 1_714_052_100;
      expect(await webhooks.signMedblocksSignature({ payload: body, secrets: [NEW], timestamp })).toBe(
        stripe.webhooks.generateTestHeaderString({ payload: body, secret: NEW, timestamp }),
      );
    });
  });

  describe("Standard Webhooks", () => {
    const headersFor = (secrets: string[]) =>
      webhooks.signStandardWebhooks({ id: event.id, payload: body, secrets, timestamp: now() });

    it("standardwebhooks 1.1.1 Webhook.verify accepts our headers, including each secret of a rotation list", async () => {
      const single = await headersFor([NEW]);
      expect(new StandardWebhook(NEW).verify(body, single)).toEqual(event);
      const rotated = await headersFor([NEW, OLD]);
      expect(rotated["webhook-signature"].split(" ")).toHaveLength(2);
      expect(new StandardWebhook(NEW).verify(body, rotated)).toEqual(event);
      expect(new StandardWebhook(OLD).verify(Buffer.from(body), rotated)).toEqual(event);
      const stranger = "whsec_" + Buffer.alloc(32, 7).toString("base64");
      expect(() => new StandardWebhook(stranger).verify(body, rotated)).toThrow(/No matching signature/);
    });

    it("svix 1.99.1 Webhook.verify accepts our headers, including each secret of a rotation list", async () => {
      const rotated = await headersFor([OLD, NEW]);
      expect(new SvixWebhook(NEW).verify(body, rotated)).toEqual(event);
      expect(new SvixWebhook(OLD).verify(body, rotated)).toEqual(event);
      expect(new SvixWebhook(NEW).verify(body, await headersFor([NEW]))).toEqual(event);
    });

    it("signDeliveryHeaders satisfies stripe, standardwebhooks and svix at once", async () => {
      const headers = await webhooks.signDeliveryHeaders({ id: event.id, payload: body, secrets: [NEW, OLD], timestamp: now() });
      expect(stripe.webhooks.constructEvent(body, headers["Medblocks-Signature"], OLD)).toEqual(event);
      expect(new StandardWebhook(NEW).verify(body, headers)).toEqual(event);
      expect(new SvixWebhook(OLD).verify(body, headers)).toEqual(event);
      expect(await webhooks.constructEvent(body, headers["Medblocks-Signature"], NEW)).toEqual(event);
    });

    it("agrees with the standardwebhooks reference signer on a random message", async () => {
      const timestamp = 1_714_052_100;
      const reference = new StandardWebhook(OLD).sign(event.id, new Date(timestamp * 1000), body);
      const ours = await webhooks.signStandardWebhooks({ id: event.id, payload: body, secrets: [OLD], timestamp });
      expect(ours["webhook-signature"]).toBe(reference);
    });
  });
});
