import { describe, expect, test } from "vitest";
import { createSecretBox, generateEncryptionKey, generateSigningSecret, parseEncryptionKey } from "./secret-box.js";

describe("secret box", () => {
  const box = createSecretBox(parseEncryptionKey(generateEncryptionKey()));

  test("seals and opens; every seal is different; the plaintext never shows", () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const a = box.seal(secret, "wh_1");
    const b = box.seal(secret, "wh_1");
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret.slice(6));
    expect(box.open(a, "wh_1")).toBe(secret);
  });

  test("a secret moved to another endpoint, tampered with, or opened with another key fails", () => {
    const sealed = box.seal("whsec_abc", "wh_1");
    expect(() => box.open(sealed, "wh_2")).toThrow("could not be decrypted");
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
    expect(() => box.open(flipped, "wh_1")).toThrow();
    const other = createSecretBox(parseEncryptionKey(generateEncryptionKey()));
    expect(() => other.open(sealed, "wh_1")).toThrow("MEDBLOCKS_ENCRYPTION_KEY");
  });

  test("keys are 32 bytes as hex or base64", () => {
    expect(parseEncryptionKey("ab".repeat(32))).toHaveLength(32);
    expect(parseEncryptionKey(Buffer.alloc(32, 1).toString("base64url"))).toHaveLength(32);
    expect(() => parseEncryptionKey("short")).toThrow("32 random bytes");
  });
});
