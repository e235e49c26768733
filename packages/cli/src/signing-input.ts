import { CliError } from "./output.js";

/**
 * What `sign` and `verify` share: the body read from stdin as exact bytes, and the secret.
 *
 * The body is never re-encoded or trimmed, because the signature covers exact bytes. An editor or
 * `echo` often adds a newline the original delivery did not have; `--trim-newline` removes one.
 */

export interface SigningFlags {
  secret?: string;
  trimNewline?: boolean;
}

export const SECRET_OPTION = ["--secret <whsec>", "the endpoint's whsec_… signing secret (default MEDBLOCKS_WEBHOOK_SECRET)"] as const;
export const TRIM_OPTION = ["--trim-newline", "remove one trailing newline (\\n or \\r\\n) from the body first"] as const;

export function signingSecret(flags: SigningFlags): string {
  const secret = flags.secret ?? process.env.MEDBLOCKS_WEBHOOK_SECRET;
  if (!secret) throw new CliError("no secret: pass --secret whsec_… or set MEDBLOCKS_WEBHOOK_SECRET");
  return secret;
}

/** Everything on stdin, as bytes. */
export async function readBody(flags: SigningFlags, stdin: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  if ((stdin as { isTTY?: boolean }).isTTY) throw new CliError("pipe the body on stdin, e.g. `< capture.json`");
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  const body = Buffer.concat(chunks);
  return flags.trimNewline ? withoutTrailingNewline(body) : body;
}

export function withoutTrailingNewline(body: Buffer): Buffer {
  if (body.at(-1) !== 0x0a) return body;
  return body.subarray(0, body.at(-2) === 0x0d ? -2 : -1);
}
