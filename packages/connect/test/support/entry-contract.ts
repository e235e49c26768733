import { expect, it } from "vitest";
import type * as NodeEntry from "../../src/index.node.js";

/**
 * What every entry point promises, run once per entry (each in its own test file: both entries
 * install `Medblocks.webhooks`, so they cannot share one module graph).
 */
export function entryContract(sdk: typeof NodeEntry): void {
  it("installs Medblocks.webhooks once, frozen", async () => {
    const { webhooks } = sdk.Medblocks;
    expect(Object.isFrozen(webhooks)).toBe(true);
    expect(() => {
      (sdk.Medblocks as { webhooks: unknown }).webhooks = {};
    }).toThrow(TypeError);
    expect(sdk.Medblocks.webhooks).toBe(webhooks);
  });

  it("exports the webhook functions as the same functions as Medblocks.webhooks.*", () => {
    const { webhooks } = sdk.Medblocks;
    expect(sdk.constructEvent).toBe(webhooks.constructEvent);
    expect(sdk.verifySignature).toBe(webhooks.verifySignature);
    expect(sdk.generateTestHeader).toBe(webhooks.generateTestHeader);
    expect(sdk.signMedblocksSignature).toBe(webhooks.signMedblocksSignature);
    expect(sdk.signStandardWebhooks).toBe(webhooks.signStandardWebhooks);
    expect(sdk.signDeliveryHeaders).toBe(webhooks.signDeliveryHeaders);
    expect(sdk.fixtures).toBe(webhooks.fixtures);
  });

  it("works when the functions are destructured (no `this`)", async () => {
    const { constructEvent, generateTestHeader, fixtures } = sdk.Medblocks.webhooks;
    const payload = JSON.stringify(fixtures.recordsSyncFailed());
    const header = await generateTestHeader({ payload, secret: "whsec_x" });
    expect((await constructEvent(payload, header, "whsec_x")).type).toBe("records.sync.failed");
  });
}
