import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config.js";
import { generateEncryptionKey, parseEncryptionKey } from "./domain/secret-box.js";

export const ENCRYPTION_KEY_FILE = "encryption.key";

export type EncryptionKeySource = "environment" | "file" | "generated-file" | "ephemeral";

/**
 * The key that seals endpoint secrets. `MEDBLOCKS_ENCRYPTION_KEY` wins. Without it, an embedded
 * database keeps a generated key beside itself (mode 0600), so `npm start` needs no set-up; a
 * server database (PostgreSQL) is shared by many hosts, so the operator must provide the key.
 */
export function resolveEncryptionKey(
  configured: string | undefined,
  storage: { dialect: "sqlite" | "postgres"; dataDirectory: string | null },
): { key: Buffer; source: EncryptionKeySource } {
  if (configured) {
    try {
      return { key: parseEncryptionKey(configured), source: "environment" };
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }
  if (storage.dialect === "postgres") {
    throw new ConfigError(
      "MEDBLOCKS_ENCRYPTION_KEY is required with PostgreSQL: every API and worker process must seal and open endpoint " +
        "secrets with the same key. Generate one with `openssl rand -base64 32` and set it on every process.",
    );
  }
  if (storage.dataDirectory === null) return { key: parseEncryptionKey(generateEncryptionKey()), source: "ephemeral" };

  const path = join(storage.dataDirectory, ENCRYPTION_KEY_FILE);
  try {
    return { key: parseEncryptionKey(readFileSync(path, "utf8")), source: "file" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ConfigError(`Cannot use the encryption key in ${path}: ${(error as Error).message}`);
    }
  }
  mkdirSync(storage.dataDirectory, { recursive: true });
  const text = generateEncryptionKey();
  // `wx`: if another process created the file a moment ago, use theirs rather than overwrite it.
  try {
    writeFileSync(path, `${text}\n`, { mode: 0o600, flag: "wx" });
    return { key: parseEncryptionKey(text), source: "generated-file" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return { key: parseEncryptionKey(readFileSync(path, "utf8")), source: "file" };
    throw error;
  }
}
