import type { Command } from "commander";
import { MedblocksConnectionError } from "@medblocks/connect";
import { apiCommand, apiSettings, unreachable, type ApiFlags } from "../api-client.js";
import { bold, CliError, dim, emit, green, printJsonLine, red, say, yellow } from "../output.js";
import { splitList } from "../parse/option-values.js";
import { checkDeviceName, defaultDeviceName } from "../listen/device-name.js";
import { forwardEvent, type ForwardResult } from "../listen/forward.js";
import { ListenApi, type ListenSessionInfo, type StreamedEvent } from "../listen/listen-api.js";
import { runListenLoop } from "../listen/listen-loop.js";

/**
 * `medblocks listen --forward-to <url>`: the service streams the workspace's events here; each is
 * POSTed to the local URL, signed with the session's own secret, shown on one line, and its
 * outcome reported back so it appears in the attempt log. No public URL, tunnel or endpoint.
 */

interface ListenFlags extends ApiFlags {
  forwardTo?: string;
  events?: string;
  printSecret?: boolean;
  device?: string;
}

/** `3000`, `:3000/hooks` and `localhost:3000/hooks` are shorthands for http:// URLs. */
export function forwardUrl(value: string): string {
  let text = value.trim();
  if (/^\d+$/.test(text)) text = `http://127.0.0.1:${text}/`;
  else if (text.startsWith(":")) text = `http://127.0.0.1${text}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--forward-to must be a URL such as http://localhost:3000/webhooks, got '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`--forward-to must be http:// or https://, got '${value}'`);
  return url.href;
}

const clock = () => new Date().toTimeString().slice(0, 8);

function statusText(result: ForwardResult): string {
  if (result.statusCode !== null) return result.outcome === "delivered" ? green(`[${result.statusCode}]`) : red(`[${result.statusCode}]`);
  return red(`[${result.outcome === "timeout" ? "timeout" : (result.error ?? "error")}]`);
}

export function registerListen(program: Command): void {
  apiCommand(program.command("listen").description("Forward the workspace's events, live, to a local URL (no tunnel, no endpoint to register)"))
    .option("--forward-to <url>", "where to POST each event, e.g. http://localhost:3000/webhooks (localhost:3000/webhooks and :3000/webhooks work too)")
    .option("--events <types>", "comma-separated event types to receive (default all)")
    .option("--print-secret", "print this machine's session signing secret and exit")
    .option("--device <name>", "the session's name (default this machine's host name): one signing secret per workspace and device")
    .addHelpText(
      "after",
      "\nEvents are signed with the session's own whsec_ secret, the same on every run on this machine: set it as your\n" +
        "receiver's secret once. Events published while nothing listens are recorded but not forwarded; events forwarded\n" +
        "but not reported (the connection dropped) come again. ^C stops.\n" +
        "\nExamples:\n" +
        "  $ medblocks listen --forward-to http://localhost:3000/webhooks\n" +
        "  $ medblocks listen --forward-to localhost:3000/webhooks --events patient_flow.completed,records.sync.failed\n" +
        '  $ export MEDBLOCKS_WEBHOOK_SECRET="$(medblocks listen --print-secret)"',
    )
    .action(async (flags: ListenFlags) => {
      const device = flags.device ?? defaultDeviceName();
      const deviceProblem = checkDeviceName(device);
      if (deviceProblem) throw new CliError(deviceProblem);
      const events = flags.events === undefined ? undefined : splitList(flags.events);
      const api = new ListenApi(apiSettings(flags));

      if (flags.printSecret) {
        const session = await api.session(device, events).catch((error: unknown) => {
          throw error instanceof MedblocksConnectionError ? unreachable(api.settings.baseUrl, error) : error;
        });
        emit(flags, session, () => say(session.secret));
        return;
      }
      if (flags.forwardTo === undefined) throw new CliError("pass --forward-to <url> (where to POST events), or --print-secret");
      await listen(api, forwardUrl(flags.forwardTo), device, events, flags);
      // Stopped by a signal and everything reported: exit now rather than when idle
      // keep-alive connections time out.
      process.exit(0);
    });
}

async function listen(api: ListenApi, url: string, device: string, events: string[] | undefined, flags: ListenFlags): Promise<void> {
  const stop = new AbortController();
  const quit = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let secret: string | undefined;

  const onSignal = () => {
    if (stop.signal.aborted) {
      // Second ^C: drop what is in flight; the service sends those events again next time.
      quit.abort();
      process.exit(130);
    }
    stop.abort();
    if (inFlight.size > 0 && !flags.json) process.stderr.write(dim(`Finishing ${inFlight.size} event(s) in flight… (^C again to quit now)\n`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const forward = async (event: StreamedEvent, signingSecret: string) => {
    const result = await forwardEvent({ url, id: event.id, payload: event.payload, secret: signingSecret, signal: quit.signal });
    let recorded = true;
    let reportError: string | undefined;
    try {
      await api.report({
        event_id: event.id,
        lease: event.lease,
        outcome: result.outcome,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        error: result.error,
        response_body: result.responseBody,
      });
    } catch (error) {
      recorded = false;
      reportError = error instanceof Error ? error.message : String(error);
    }
    if (flags.json) {
      printJsonLine({ kind: "forwarded", time: new Date().toISOString(), id: event.id, type: event.type, outcome: result.outcome, status_code: result.statusCode, duration_ms: result.durationMs, error: result.error, recorded });
    } else {
      say(`${dim(clock())}  ${event.type.padEnd(32)} ${event.id}  ${statusText(result)} ${dim(`${result.durationMs} ms`)}`);
      if (!recorded) process.stderr.write(yellow(`warning: the attempt of ${event.id} was not recorded: ${reportError}\n`));
    }
  };

  try {
    await runListenLoop(api, {
      device,
      events,
      signal: stop.signal,
      handlers: {
        onSession(session: ListenSessionInfo, reconnected: boolean) {
          secret = session.secret;
          if (flags.json) printJsonLine({ kind: reconnected ? "reconnected" : "ready", forward_to: url, ...session });
          else if (reconnected) process.stderr.write(green("Reconnected.\n"));
          else {
            say(`Ready! Forwarding to ${bold(url)}; your webhook signing secret is ${bold(session.secret)} (^C to quit)`);
            process.stderr.write(dim(`Device ${session.device}, events ${session.events.join(",")}.\n`));
          }
        },
        onWebhook(event: StreamedEvent) {
          const task = forward(event, secret!).finally(() => inFlight.delete(task));
          inFlight.add(task);
        },
        onDisconnect(reason: string, retryInMs: number) {
          if (flags.json) printJsonLine({ kind: "disconnected", reason, retry_in_ms: retryInMs });
          else process.stderr.write(yellow(`Connection lost (${reason}); reconnecting in ${(retryInMs / 1000).toFixed(1)} s…\n`));
        },
      },
    });
    await Promise.all(inFlight);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
