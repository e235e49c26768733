import type { Kysely, Selectable } from "kysely";
import type { Organization } from "../store.js";
import type { Database, OrganizationsTable } from "./schema.js";

function toOrganization(row: Selectable<OrganizationsTable>): Organization {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export async function findOrganizationByName(
  db: Kysely<Database>,
  name: string,
): Promise<Organization | undefined> {
  const row = await db.selectFrom("organizations").selectAll().where("name", "=", name).executeTakeFirst();
  return row && toOrganization(row);
}

/**
 * Insert-or-ignore on the unique name, then read back: two processes bootstrapping the same
 * organization at once both end up with the one row that won, and neither fails.
 */
export async function ensureOrganization(
  db: Kysely<Database>,
  name: string,
  id: string,
  now: number,
): Promise<Organization> {
  await db
    .insertInto("organizations")
    .values({ id, name, created_at: now })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const org = await findOrganizationByName(db, name);
  // Only reachable if the organization was deleted between the two statements.
  if (org === undefined) throw new Error(`Organization "${name}" vanished while being ensured`);
  return org;
}
