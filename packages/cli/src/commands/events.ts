import type { Command } from "commander";
import { apiCommand, withClient, type ApiFlags } from "../api-client.js";
import { emitPage, pageOptions, pageParams, readPages, type PageFlags } from "../list-pages.js";
import { bold, emit, green, red, say } from "../output.js";
import { attemptTable, eventDetails, oneLine } from "../present/records.js";

/** `medblocks events get|attempts|redeliver <evt_id>`: event records through the API (SDK `mb.events`). */
export function registerEvents(program: Command): void {
  const events = program
    .command("events")
    .description("Inspect event records and their attempts; redeliver one")
    .addHelpText("after", "\nExample:\n  $ medblocks events attempts evt_01J9YR9N3X4VZ6P2K5RH7M3LMP");

  apiCommand(events.command("get").description("Show one event record and where its delivery stands").argument("<evt_id>", "the event's id"))
    .addHelpText("after", "\nExample:\n  $ medblocks events get evt_01J9YR9N3X4VZ6P2K5RH7M3LMP")
    .action(async (id: string, flags: ApiFlags) => {
      const record = await withClient(flags, (mb) => mb.events.retrieve(id));
      emit(flags, record, () => say(eventDetails(record)));
    });

  pageOptions(apiCommand(events.command("attempts").description("The attempt log of an event, oldest first").argument("<evt_id>", "the event's id")))
    .addHelpText("after", "\nExample:\n  $ medblocks events attempts evt_01J9YR9N3X4VZ6P2K5RH7M3LMP --all")
    .action(async (id: string, flags: ApiFlags & PageFlags) => {
      const page = await withClient(flags, (mb) => readPages(flags, mb.events.listAttempts(id, pageParams(flags))));
      emitPage(flags, page, attemptTable);
    });

  apiCommand(
    events
      .command("redeliver")
      .description("Make one attempt now (same event id); at most one per event per 60 s")
      .argument("<evt_id>", "the event's id"),
  )
    .addHelpText(
      "after",
      "\nThe command succeeds when the attempt was made, whatever the receiver answered; the result is printed (and in --json, the updated record).\n" +
        "\nExample:\n  $ medblocks events redeliver evt_01J9YR9N3X4VZ6P2K5RH7M3LMP",
    )
    .action(async (id: string, flags: ApiFlags) => {
      const record = await withClient(flags, (mb) => mb.events.redeliver(id));
      emit(flags, record, () => {
        const status = record.last_status_code === null ? "no response" : String(record.last_status_code);
        const body = record.last_response_body ? ` ${oneLine(record.last_response_body, 60)}` : "";
        // The record's last status is this attempt's: a 2xx means it was delivered.
        const code = record.last_status_code;
        if (code !== null && code >= 200 && code < 300) {
          say(`${green("Delivered")} ${bold(record.id)} (${record.type}): ${status}${body}`);
        } else {
          say(`${red("Not delivered")} ${bold(record.id)} (${record.type}): ${status}${body}. See \`medblocks events attempts ${record.id}\`.`);
          // The service disabled the endpoint on that answer, as it does after an automatic attempt.
          if (code === 410) {
            say(`A 410 Gone disables the endpoint: ${record.webhook_endpoint_id} is now disabled, and its pending events wait.`);
            say(`Re-enable it with \`medblocks webhooks update ${record.webhook_endpoint_id} --status active\`.`);
          }
        }
      });
    });
}
