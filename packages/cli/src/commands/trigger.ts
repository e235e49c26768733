import type { Command } from "commander";
import { fixtures, WEBHOOK_EVENT_TYPES, type EventPublishParams, type WebhookEventType } from "@medblocks/connect";
import { apiCommand, withClient, type ApiFlags } from "../api-client.js";
import { bold, CliError, dim, emit, say } from "../output.js";
import { collect } from "../parse/option-values.js";
import { applyOverride, parseOverride, splitOverrides, type Override } from "../parse/overrides.js";

/** `medblocks trigger <event type>`: publish one of the SDK's fixture events to the workspace's endpoints. */

const BUILDERS: Record<WebhookEventType, (overrides: Record<string, unknown>) => EventPublishParams> = {
  "patient_flow.completed": (o) => fixtures.patientFlowCompleted(o),
  "connection.token_refresh_failed": (o) => fixtures.connectionTokenRefreshFailed(o),
  "records.sync.completed": (o) => fixtures.recordsSyncCompleted(o),
  "records.sync.failed": (o) => fixtures.recordsSyncFailed(o),
};

/** The fixture for `type` with `--override`s applied to `data.object`. */
export function buildFact(type: string, overrideTexts: string[]): EventPublishParams {
  const build = BUILDERS[type as WebhookEventType];
  if (!build) throw new CliError(`unknown event type '${type}'; expected one of ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  let overrides: Override[];
  try {
    overrides = overrideTexts.map(parseOverride);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const { topLevel, nested } = splitOverrides(overrides);
  const fact = build(topLevel);
  try {
    for (const override of nested) applyOverride(fact.data.object as unknown as Record<string, unknown>, override);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return { type: fact.type, data: fact.data } as EventPublishParams;
}

export function registerTrigger(program: Command): void {
  apiCommand(
    program
      .command("trigger")
      .description("Publish a realistic test event of a type to every subscribed endpoint (and `medblocks listen` sessions)")
      .argument("<event type>", WEBHOOK_EVENT_TYPES.join(" | ")),
  )
    .option("--override <key=value>", "set a field of data.object (repeatable); values are JSON when they parse, else text; dotted keys reach nested fields", collect)
    .option("--idempotency-key <key>", "publish at most once per key (kept 24 h)")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  $ medblocks trigger patient_flow.completed\n" +
        "  $ medblocks trigger records.sync.completed --override total=12 --override patient_id=user_42\n" +
        "  $ medblocks trigger patient_flow.completed --override metadata.source=cli --override connections.0.status=failed",
    )
    .action(async (type: string, flags: ApiFlags & { override?: string[]; idempotencyKey?: string }) => {
      const fact = buildFact(type, flags.override ?? []);
      const page = await withClient(flags, (mb) => mb.events.publish(fact, flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey }));
      emit(flags, page, () => {
        const records = page.data;
        if (records.length === 0) {
          say(`Triggered ${bold(type)}, but no endpoint is subscribed to it.`);
          process.stderr.write(dim("Run `medblocks listen --forward-to <url>` or `medblocks webhooks create` first.\n"));
          return;
        }
        say(`Triggered ${bold(type)}: ${records.length} event${records.length === 1 ? "" : "s"}`);
        for (const r of records) say(`  ${r.id} → ${r.webhook_endpoint_id}${r.next_attempt_at === null && r.attempts === 0 ? dim(" (endpoint disabled or not listening: not scheduled)") : ""}`);
      });
    });
}
