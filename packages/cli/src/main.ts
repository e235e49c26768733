import { Command, CommanderError } from "commander";
import { registerEvents } from "./commands/events.js";
import { registerKeys } from "./commands/keys.js";
import { registerListen } from "./commands/listen.js";
import { registerServe } from "./commands/serve.js";
import { registerSign } from "./commands/sign.js";
import { registerTrigger } from "./commands/trigger.js";
import { registerVerify } from "./commands/verify.js";
import { registerWebhooks } from "./commands/webhooks.js";
import { reportError } from "./output.js";
import { CLI_VERSION } from "./version.js";

const program = new Command()
  .name("medblocks")
  .description("Medblocks Connect webhooks: run the service, manage keys and endpoints, trigger and forward events")
  .version(CLI_VERSION)
  .option("--debug", "print stack traces for errors")
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerKeys(program);
registerWebhooks(program);
registerEvents(program);
registerTrigger(program);
registerListen(program);
registerSign(program);
registerVerify(program);

program.addHelpText(
  "after",
  "\nAPI commands read MEDBLOCKS_API_KEY and MEDBLOCKS_BASE_URL (default http://127.0.0.1:8700), or --api-key and --base-url.\n" +
    "\nExample:\n  $ medblocks listen --forward-to http://localhost:3000/webhooks   # then, in another terminal:\n  $ medblocks trigger patient_flow.completed",
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const options = { debug: Boolean(program.opts().debug), json: process.argv.includes("--json") };
  process.exit(reportError(error, options));
}
