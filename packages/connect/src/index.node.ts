// Entry point for Node and Bun: webhook crypto runs on node:crypto.
import { installWebhooks } from "./client/medblocks.js";
import { createWebhooks, type MedblocksWebhooks } from "./webhooks/create-webhooks.js";
import { nodeCryptoProvider } from "./webhooks/crypto/node.js";

export * from "./index.common.js";

const webhooks = createWebhooks(nodeCryptoProvider);
installWebhooks(webhooks);

/**
 * Verifies a webhook delivery and returns its typed event (same as `Medblocks.webhooks.constructEvent`).
 * Throws `MedblocksSignatureError` (answer 400) with `.reason`; `TypeError` for an empty or non-string secret.
 */
export const constructEvent: MedblocksWebhooks["constructEvent"] = webhooks.constructEvent;
/** Runs every check of {@link constructEvent} except parsing the body as an event. */
export const verifySignature: MedblocksWebhooks["verifySignature"] = webhooks.verifySignature;
/** A valid `Medblocks-Signature` header value for a test payload (timestamp defaults to now). */
export const generateTestHeader: MedblocksWebhooks["generateTestHeader"] = webhooks.generateTestHeader;
/** `Medblocks-Signature` value `t=<ts>,v1=<hex>[,v1=<hex>…]`, one `v1` per secret, over the exact payload bytes. */
export const signMedblocksSignature: MedblocksWebhooks["signMedblocksSignature"] = webhooks.signMedblocksSignature;
/** The Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) of a payload. */
export const signStandardWebhooks: MedblocksWebhooks["signStandardWebhooks"] = webhooks.signStandardWebhooks;
/** Every signature header of one delivery: `Medblocks-Signature` plus the Standard Webhooks headers. */
export const signDeliveryHeaders: MedblocksWebhooks["signDeliveryHeaders"] = webhooks.signDeliveryHeaders;
