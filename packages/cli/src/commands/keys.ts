import type { Command } from "commander";
import type { Store } from "@medblocks/server";
import { CliError, dim, emit, relativeTime, table, type OutputOptions } from "../output.js";

/**
 * `medblocks keys create|list|revoke`: API keys are minted against the database itself
 * (`DATABASE_URL`), not through the API, so an operator can create the first key of a workspace.
 */

const DEFAULT_DATABASE_URL = "sqlite:./data/medblocks.db";

interface DatabaseFlags extends OutputOptions {
  databaseUrl?: string;
}

async function withStore<T>(flags: DatabaseFlags, run: (store: Store) => Promise<T>): Promise<T> {
  const url = flags.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  // Loaded on use, so the API commands do not pay for the service's dependencies at start.
  const { createStore } = await import("@medblocks/server");
  const store = await createStore(url);
  try {
    await store.migrate();
    return await run(store);
  } finally {
    await store.close();
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("Mint, list and revoke API keys (talks to the database, not the API)");
  const databaseOption = ["--database-url <url>", `the service's database (DATABASE_URL, default ${DEFAULT_DATABASE_URL})`] as const;

  keys
    .command("create")
    .description("Mint an API key in an organization (created if new); the key is printed once")
    .requiredOption("--org <name>", "organization name")
    .option("--live", "a live key (mb_sk_live_…) instead of a sandbox key")
    .option(...databaseOption)
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExample:\n  $ medblocks keys create --org acme --live")
    .action(async (flags: DatabaseFlags & { org: string; live?: boolean }) => {
      const name = flags.org.trim();
      if (!name || name.length > 100) throw new CliError("--org must be a name of 1 to 100 characters");
      const { mintApiKey } = await import("@medblocks/server");
      const minted = await withStore(flags, (store) => mintApiKey(store, name, flags.live ? "live" : "sandbox"));
      emit(
        flags,
        { id: minted.id, key: minted.key, mode: minted.mode, organization: { id: minted.organizationId, name: minted.organizationName } },
        () => {
          process.stdout.write(`${minted.key}\n`);
          process.stderr.write(
            dim(`${minted.mode} key ${minted.id} for organization "${minted.organizationName}". It is shown only this once; store it now.\n`),
          );
        },
      );
    });

  keys
    .command("list")
    .description("List API keys (hints only: keys are stored hashed)")
    .option("--org <name>", "only this organization")
    .option(...databaseOption)
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExample:\n  $ medblocks keys list --org acme")
    .action(async (flags: DatabaseFlags & { org?: string }) => {
      const rows = await withStore(flags, async (store) => {
        if (flags.org === undefined) return store.listApiKeys();
        const organization = await store.findOrganizationByName(flags.org);
        if (!organization) throw new CliError(`no organization named "${flags.org}"`);
        return store.listApiKeys(organization.id);
      });
      const keysOut = rows.map((row) => ({
        id: row.id,
        hint: row.hint,
        mode: row.mode,
        organization_id: row.organizationId,
        created_at: iso(row.createdAt),
        revoked_at: iso(row.revokedAt),
      }));
      emit(flags, { data: keysOut }, () => {
        if (keysOut.length === 0) return void process.stdout.write("No API keys.\n");
        process.stdout.write(
          `${table(
            ["ID", "KEY", "MODE", "ORGANIZATION", "CREATED", "REVOKED"],
            keysOut.map((k) => [k.id, k.hint, k.mode, k.organization_id, relativeTime(k.created_at), relativeTime(k.revoked_at)]),
          )}\n`,
        );
      });
    });

  keys
    .command("revoke")
    .description("Revoke an API key at once")
    .argument("<key_id>", "the key's id (key_…), from `medblocks keys list`")
    .option(...databaseOption)
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExample:\n  $ medblocks keys revoke key_01J9YR9N3X4VZ6P2K5RH7M3LMP")
    .action(async (id: string, flags: DatabaseFlags) => {
      const revoked = await withStore(flags, (store) => store.revokeApiKey(id, Date.now()));
      if (!revoked) throw new CliError(`no active API key with id ${id}`);
      emit(flags, { id, revoked: true }, () => process.stdout.write(`Revoked ${id}.\n`));
    });
}
