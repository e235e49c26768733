import type { Command } from "commander";
import { constructEvent, DEFAULT_TOLERANCE_SECONDS, MedblocksSignatureError, verifySignature } from "@medblocks/connect";
import { InvalidArgumentError } from "commander";
import { CliError, dim, emit, green, printJson, relativeTime, say, type OutputOptions } from "../output.js";
import { readBody, SECRET_OPTION, signingSecret, TRIM_OPTION, withoutTrailingNewline, type SigningFlags } from "../signing-input.js";

/**
 * `medblocks verify --secret <whsec> --signature <header> < body`: checks a captured delivery with the
 * SDK's `constructEvent`. Exit 0 and the event's id and type when valid; exit 1 with the SDK's reason
 * and message when not.
 */

function tolerance(value: string): number {
  if (/^(inf|infinity)$/i.test(value.trim())) return Infinity;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError("Expected seconds ≥ 0, or Infinity.");
  return seconds;
}

type VerifyFlags = SigningFlags & OutputOptions & { signature?: string; tolerance: number | boolean };

/** For a failed check, a likely explanation the SDK cannot know: the capture gained a newline. */
async function newlineHint(body: Buffer, flags: VerifyFlags, secret: string, toleranceSeconds: number): Promise<string> {
  if (flags.trimNewline || body.at(-1) !== 0x0a) return "";
  try {
    await verifySignature(withoutTrailingNewline(body), flags.signature, secret, { tolerance: toleranceSeconds });
    return " The body verifies without its trailing newline, which was added when it was saved: pass --trim-newline.";
  } catch {
    return "";
  }
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("Check a Medblocks-Signature against the body on stdin (exit 0 valid, 1 not)")
    .option(...SECRET_OPTION)
    .option("--signature <header>", "the Medblocks-Signature header value (t=…,v1=…)")
    .option("--tolerance <seconds>", `how far the signature's time may be from now, both ways; Infinity for old captures`, tolerance, DEFAULT_TOLERANCE_SECONDS)
    .option("--no-tolerance", "skip the time check (same as --tolerance Infinity), to replay old captures")
    .option(...TRIM_OPTION)
    .option("--json", "machine-readable output: { valid, id, type, timestamp } or { valid: false, reason, message }")
    .addHelpText(
      "after",
      "\nThe body is checked exactly as read: a trailing newline is part of it unless --trim-newline.\n" +
        "\nExamples:\n" +
        '  $ medblocks verify --secret "$MEDBLOCKS_WEBHOOK_SECRET" --signature "t=1777118400,v1=5f3a…" < capture.json\n' +
        '  $ medblocks verify --secret "$MEDBLOCKS_WEBHOOK_SECRET" --signature "$HEADER" --no-tolerance < old-capture.json',
    )
    .action(async (flags: VerifyFlags) => {
      const secret = signingSecret(flags);
      if (flags.signature === undefined) throw new CliError("pass the Medblocks-Signature header value with --signature");
      const toleranceSeconds = flags.tolerance === false ? Infinity : (flags.tolerance as number);
      const body = await readBody(flags);
      const timestamp = Number(/(?:^|,)\s*t=(\d+)/.exec(flags.signature)?.[1] ?? NaN);
      try {
        const event = await constructEvent(body, flags.signature, secret, { tolerance: toleranceSeconds });
        emit(flags, { valid: true, id: event.id, type: event.type, timestamp }, () =>
          say(`${green("Valid")} ${event.type} ${event.id} ${dim(`(signed ${relativeTime(new Date(timestamp * 1000).toISOString())})`)}`),
        );
      } catch (error) {
        if (!(error instanceof MedblocksSignatureError)) throw error;
        const message = error.message + (error.reason === "no_matching_signature" ? await newlineHint(body, flags, secret, toleranceSeconds) : "");
        if (flags.json) {
          printJson({ valid: false, reason: error.reason, message });
          process.exitCode = 1;
          return;
        }
        throw new CliError(message, 1, error.reason);
      }
    });
}
