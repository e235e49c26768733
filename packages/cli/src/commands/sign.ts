import type { Command } from "commander";
import { signMedblocksSignature } from "@medblocks/connect";
import { emit, say, type OutputOptions } from "../output.js";
import { integerIn } from "../parse/option-values.js";
import { readBody, SECRET_OPTION, signingSecret, TRIM_OPTION, type SigningFlags } from "../signing-input.js";

/** `medblocks sign --secret <whsec> [--timestamp <t>] < body`: a `Medblocks-Signature` value for a body. */
export function registerSign(program: Command): void {
  program
    .command("sign")
    .description("Print a Medblocks-Signature header value for the body on stdin (exact bytes)")
    .option(...SECRET_OPTION)
    .option("--timestamp <unix seconds>", "the signature's time (default now)", integerIn(0, Number.MAX_SAFE_INTEGER))
    .option(...TRIM_OPTION)
    .option("--json", "machine-readable output: { signature, timestamp }")
    .addHelpText(
      "after",
      "\nThe body is signed exactly as read: a trailing newline is part of it unless --trim-newline.\n" +
        "\nExamples:\n" +
        '  $ medblocks sign --secret "$MEDBLOCKS_WEBHOOK_SECRET" --timestamp 1777118400 < capture.json\n' +
        "  # replay a capture to a local receiver:\n" +
        '  $ curl localhost:3000/webhooks -H "Content-Type: application/json" \\\n' +
        '      -H "Medblocks-Signature: $(medblocks sign --secret "$MEDBLOCKS_WEBHOOK_SECRET" < capture.json)" \\\n' +
        "      --data-binary @capture.json",
    )
    .action(async (flags: SigningFlags & OutputOptions & { timestamp?: number }) => {
      const secret = signingSecret(flags);
      const payload = await readBody(flags);
      const timestamp = flags.timestamp ?? Math.floor(Date.now() / 1000);
      const signature = await signMedblocksSignature({ payload, secrets: [secret], timestamp });
      emit(flags, { signature, timestamp }, () => say(signature));
    });
}
