import { createHash, randomBytes } from "node:crypto";
import type { Mode } from "../store/store.js";

/**
 * API keys: `mb_sk_sbx_…` (sandbox) or `mb_sk_live_…` (live), 32 random bytes in base62-safe
 * base64url. Only a SHA-256 hash is stored: keys are long random strings, so a fast hash is as
 * strong as a slow one and keeps authentication to one indexed lookup.
 */

const PREFIX: Record<Mode, string> = { sandbox: "mb_sk_sbx_", live: "mb_sk_live_" };
const KEY_SHAPE = /^mb_sk_(sbx|live)_[A-Za-z0-9_-]{16,128}$/;

export function generateApiKey(mode: Mode): string {
  return PREFIX[mode] + randomBytes(32).toString("base64url");
}

/** The mode a key's prefix announces, or null when the string is not shaped like a key. */
export function apiKeyMode(key: string): Mode | null {
  const match = KEY_SHAPE.exec(key);
  if (!match) return null;
  return match[1] === "live" ? "live" : "sandbox";
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A non-secret reminder of which key this is: the prefix and the last four characters. */
export function apiKeyHint(key: string): string {
  const mode = apiKeyMode(key);
  return `${mode ? PREFIX[mode] : ""}…${key.slice(-4)}`;
}
