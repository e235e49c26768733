import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Endpoint signing secrets at rest: AES-256-GCM with the operator's `MEDBLOCKS_ENCRYPTION_KEY`.
 * The ciphertext is bound to the endpoint id (associated data), so a secret copied onto another row
 * fails to decrypt instead of signing for the wrong endpoint.
 *
 * Format: `v1.<iv base64url>.<ciphertext+tag base64url>`.
 */

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  seal(plaintext: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
}

/** Reads a 32-byte key given as 64 hex characters or as base64 (standard or url-safe). */
export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    throw new Error(
      "MEDBLOCKS_ENCRYPTION_KEY must be 32 random bytes, written as 64 hex characters or base64 " +
        "(generate one with: openssl rand -base64 32)",
    );
  }
  return key;
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString("base64");
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("the encryption key must be 32 bytes");
  return {
    seal(plaintext, boundTo) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(boundTo, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
    },
    open(sealed, boundTo) {
      const [version, ivText, bodyText] = sealed.split(".");
      if (version !== VERSION || !ivText || !bodyText) throw new Error("unrecognized sealed secret format");
      const body = Buffer.from(bodyText, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
      decipher.setAAD(Buffer.from(boundTo, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          "utf8",
        );
      } catch {
        throw new Error(
          "a stored endpoint secret could not be decrypted: MEDBLOCKS_ENCRYPTION_KEY is not the key it was sealed with",
        );
      }
    },
  };
}

/** A new endpoint signing secret: `whsec_` + standard base64 of 32 random bytes (SPEC §3). */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}
