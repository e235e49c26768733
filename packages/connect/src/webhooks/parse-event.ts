import type { WebhookEvent } from "../types/events.js";
import { decodeUtf8 } from "./encoding.js";
import { MedblocksSignatureError } from "./signature-error.js";

/**
 * Parses a verified body into an event: a JSON object with string `id` and `type`. Unknown `type`
 * values are returned as they are, so an older SDK keeps receiving newer event types.
 *
 * @throws MedblocksSignatureError `invalid_body`
 */
export function parseEvent(body: string | Uint8Array): WebhookEvent {
  let text: string;
  try {
    text = typeof body === "string" ? body : decodeUtf8(body);
  } catch (cause) {
    throw new MedblocksSignatureError(
      "invalid_body",
      "The signature is valid but the body is not valid UTF-8, so it is not a Medblocks event. " +
        "Pass the body bytes exactly as received, without converting their encoding.",
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MedblocksSignatureError(
      "invalid_body",
      "The signature is valid but the body is not JSON, so it is not a Medblocks event. " +
        "Check that this route receives Medblocks deliveries only.",
      { cause },
    );
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as { id?: unknown }).id !== "string" ||
    typeof (parsed as { type?: unknown }).type !== "string"
  ) {
    throw new MedblocksSignatureError(
      "invalid_body",
      "The signature is valid but the body is not a Medblocks event: expected a JSON object with string `id` and `type`.",
    );
  }
  return parsed as WebhookEvent;
}
