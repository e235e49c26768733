import type { Command } from "commander";
import type { WebhookEndpointEvents, WebhookEndpointUpdateParams, WebhookEndpointWithSecret } from "@medblocks/connect";
import { apiCommand, withClient, type ApiFlags } from "../api-client.js";
import { emitPage, pageOptions, pageParams, readPages, type PageFlags } from "../list-pages.js";
import { bold, CliError, dim, emit, say } from "../output.js";
import { collect, integerIn, parseTimeInput, splitList } from "../parse/option-values.js";
import { endpointDetails, endpointTable, eventTable } from "../present/records.js";

/** `medblocks webhooks …`: manage webhook endpoints through the API (SDK `mb.webhooks`). */

const example = (lines: string) => `\nExample:\n${lines}`;

const events = (value: string | string[]) => splitList(value) as WebhookEndpointEvents;

function metadata(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new CliError(`--metadata expects key=value, got '${pair}'`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

function showSecret(endpoint: WebhookEndpointWithSecret, verb: string): void {
  say(`${verb} ${bold(endpoint.id)} → ${endpoint.url}`);
  say(`Signing secret: ${bold(endpoint.secret)}`);
  process.stderr.write(dim("The secret is shown only now: store it where your receiver reads it (e.g. MEDBLOCKS_WEBHOOK_SECRET).\n"));
}

export function registerWebhooks(program: Command): void {
  const webhooks = program
    .command("webhooks")
    .description("Manage webhook endpoints: create, list, get, update, delete, rotate-secret, events, recover")
    .addHelpText("after", example("  $ medblocks webhooks create --url http://localhost:3000/webhooks\n  $ medblocks webhooks list --status disabled"));

  apiCommand(webhooks.command("create").description("Register an endpoint; prints its signing secret once"))
    .requiredOption("--url <url>", "where to POST events (https://…; http://localhost with a sandbox key)")
    .option("--events <types>", "comma-separated event types, or * for all", "*")
    .option("--description <text>", "a note for people (≤ 500 characters)")
    .option("--metadata <key=value>", "a metadata entry (repeatable)", collect)
    .addHelpText("after", example("  $ medblocks webhooks create --url http://localhost:3000/webhooks --events patient_flow.completed,records.sync.failed"))
    .action(async (flags: ApiFlags & { url: string; events: string; description?: string; metadata?: string[] }) => {
      const params = {
        url: flags.url,
        events: events(flags.events),
        ...(flags.description !== undefined && { description: flags.description }),
        ...(flags.metadata !== undefined && { metadata: metadata(flags.metadata) }),
      };
      const endpoint = await withClient(flags, (mb) => mb.webhooks.create(params));
      emit(flags, endpoint, () => showSecret(endpoint, "Created"));
    });

  pageOptions(apiCommand(webhooks.command("list").description("List endpoints, newest first")))
    .option("--status <status>", "only active or disabled ones")
    .addHelpText("after", example("  $ medblocks webhooks list --status disabled"))
    .action(async (flags: ApiFlags & PageFlags & { status?: "active" | "disabled" }) => {
      const page = await withClient(flags, (mb) => readPages(flags, mb.webhooks.list({ ...pageParams(flags), ...(flags.status && { status: flags.status }) })));
      emitPage(flags, page, endpointTable);
    });

  apiCommand(webhooks.command("get").description("Show one endpoint (never its secret)").argument("<wh_id>", "the endpoint's id"))
    .addHelpText("after", example("  $ medblocks webhooks get wh_01J9YR9N3X4VZ6P2K5RH7M3LMP"))
    .action(async (id: string, flags: ApiFlags) => {
      const endpoint = await withClient(flags, (mb) => mb.webhooks.retrieve(id));
      emit(flags, endpoint, () => say(endpointDetails(endpoint)));
    });

  apiCommand(webhooks.command("update").description("Change an endpoint's fields; --status active re-enables it").argument("<wh_id>", "the endpoint's id"))
    .option("--url <url>", "new URL")
    .option("--events <types>", "new comma-separated event types, or *")
    .option("--description <text>", 'new description ("" clears it)')
    .option("--metadata <key=value>", "metadata entry (repeatable; replaces all metadata)", collect)
    .option("--status <status>", "active (resume; overdue events go out promptly) or disabled (pause)")
    .addHelpText("after", example("  $ medblocks webhooks update wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --status active\n  $ medblocks webhooks update wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --events '*' --description ''"))
    .action(async (id: string, flags: ApiFlags & { url?: string; events?: string; description?: string; metadata?: string[]; status?: string }) => {
      const params: WebhookEndpointUpdateParams = {
        ...(flags.url !== undefined && { url: flags.url }),
        ...(flags.events !== undefined && { events: events(flags.events) }),
        ...(flags.description !== undefined && { description: flags.description === "" ? null : flags.description }),
        ...(flags.metadata !== undefined && { metadata: metadata(flags.metadata) }),
        ...(flags.status !== undefined && { status: flags.status as "active" | "disabled" }),
      };
      if (Object.keys(params).length === 0) throw new CliError("nothing to update: pass --url, --events, --description, --metadata or --status");
      const endpoint = await withClient(flags, (mb) => mb.webhooks.update(id, params));
      emit(flags, endpoint, () => {
        say(`Updated ${bold(endpoint.id)}.`);
        say(endpointDetails(endpoint));
      });
    });

  apiCommand(webhooks.command("delete").description("Delete an endpoint with its delivery history; pending deliveries stop").argument("<wh_id>", "the endpoint's id"))
    .addHelpText("after", example("  $ medblocks webhooks delete wh_01J9YR9N3X4VZ6P2K5RH7M3LMP"))
    .action(async (id: string, flags: ApiFlags) => {
      const deleted = await withClient(flags, (mb) => mb.webhooks.delete(id));
      emit(flags, deleted, () => say(`Deleted ${deleted.id}.`));
    });

  apiCommand(webhooks.command("rotate-secret").description("Issue a new signing secret, printed once").argument("<wh_id>", "the endpoint's id"))
    .option("--expires-in <seconds>", "keep the old secret signing alongside for this long (0 to 86400, default 0: it stops at once)", integerIn(0, 86_400))
    .addHelpText("after", example("  $ medblocks webhooks rotate-secret wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --expires-in 3600"))
    .action(async (id: string, flags: ApiFlags & { expiresIn?: number }) => {
      const endpoint = await withClient(flags, (mb) => mb.webhooks.rotateSecret(id, flags.expiresIn === undefined ? {} : { expires_in: flags.expiresIn }));
      emit(flags, endpoint, () => {
        showSecret(endpoint, "Rotated the secret of");
        if (flags.expiresIn) say(dim(`The old secret keeps signing for ${flags.expiresIn} s.`));
      });
    });

  pageOptions(apiCommand(webhooks.command("events").description("An endpoint's event records, newest first").argument("<wh_id>", "the endpoint's id")))
    .option("--delivered <bool>", "true: only delivered ones; false: only undelivered ones")
    .option("--type <event type>", "only this event type")
    .addHelpText("after", example("  $ medblocks webhooks events wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --delivered false --all"))
    .action(async (id: string, flags: ApiFlags & PageFlags & { delivered?: string; type?: string }) => {
      if (flags.delivered !== undefined && flags.delivered !== "true" && flags.delivered !== "false") throw new CliError("--delivered must be true or false");
      const params = {
        ...pageParams(flags),
        ...(flags.delivered !== undefined && { delivered: flags.delivered === "true" }),
        ...(flags.type !== undefined && { type: flags.type as never }),
      };
      const page = await withClient(flags, (mb) => readPages(flags, mb.webhooks.listEvents(id, params)));
      emitPage(flags, page, eventTable);
    });

  apiCommand(webhooks.command("recover").description("Re-enqueue every undelivered event of an endpoint created in a window (≤ 14 days)").argument("<wh_id>", "the endpoint's id"))
    .requiredOption("--since <time>", "window start: ISO time, unix seconds, or a span back from now (30m, 2h, 7d)", (v: string) => parseTimeInput(v))
    .option("--until <time>", "window end (default now), same forms", (v: string) => parseTimeInput(v))
    .addHelpText("after", example("  $ medblocks webhooks recover wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --since 7d\n  $ medblocks webhooks recover wh_01J9YR9N3X4VZ6P2K5RH7M3LMP --since 2026-04-20T00:00:00Z --until 2026-04-21T00:00:00Z"))
    .action(async (id: string, flags: ApiFlags & { since: string; until?: string }) => {
      const result = await withClient(flags, (mb) => mb.webhooks.recover(id, { since: flags.since, ...(flags.until !== undefined && { until: flags.until }) }));
      emit(flags, result, () => say(`Re-enqueued ${result.enqueued} event${result.enqueued === 1 ? "" : "s"} of ${id} created since ${flags.since}${flags.until ? ` until ${flags.until}` : ""}.`));
    });
}
