import type { Command } from "commander";

/** `medblocks serve`: the service, configured as SPEC §8 says; flags mirror the environment. */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Run the webhook service (API and delivery) on SQLite or PostgreSQL")
    .option("--port <port>", "where the API listens (PORT, default 8700)")
    .option("--host <host>", "interface to bind (HOST, default 127.0.0.1)")
    .option("--database-url <url>", "sqlite:<path> or postgres://… (DATABASE_URL, default sqlite:./data/medblocks.db)")
    .option("--role <role>", "api, worker or all (MEDBLOCKS_ROLE, default all)")
    .option("--json", "accepted for symmetry: the service's logs are always JSON lines")
    .addHelpText("after", "\nExample:\n  $ medblocks serve --port 8700 --database-url sqlite:./data/medblocks.db")
    .action(async (flags: { port?: string; host?: string; databaseUrl?: string; role?: string }) => {
      // Loaded here, not at the top: the other commands start faster without the whole service.
      const { main: runService } = await import("@medblocks/server");
      await runService({
        ...process.env,
        ...(flags.port !== undefined && { PORT: flags.port }),
        ...(flags.host !== undefined && { HOST: flags.host }),
        ...(flags.databaseUrl !== undefined && { DATABASE_URL: flags.databaseUrl }),
        ...(flags.role !== undefined && { MEDBLOCKS_ROLE: flags.role }),
      });
    });
}
