import { Command, CommanderError } from "commander";
import { registerKeys } from "./commands/keys.js";
import { registerServe } from "./commands/serve.js";
import { reportError } from "./output.js";

const program = new Command()
  .name("medblocks")
  .description("Medblocks Connect webhooks: run the service, manage keys and endpoints, trigger and forward events")
  .option("--debug", "print stack traces for errors")
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerKeys(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const options = { debug: Boolean(program.opts().debug), json: process.argv.includes("--json") };
  process.exit(reportError(error, options));
}
