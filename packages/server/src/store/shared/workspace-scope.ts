import { sql, type ExpressionBuilder } from "kysely";
import type { Workspace } from "../store.js";
import type { Database } from "./schema.js";

/** The tables whose rows belong to a workspace: each carries `organization_id` and `mode`. */
type WorkspaceTable = { [T in keyof Database]: Database[T] extends { organization_id: string; mode: string } ? T : never }[keyof Database];

/**
 * The rows of one workspace (organization × mode), for `.where(inWorkspace(ws))` on a query over a
 * single workspace table. Sandbox and live data never mix, and another workspace's ids read as
 * absent, because every tenant query goes through this one condition.
 */
export function inWorkspace(ws: Workspace) {
  // Kysely cannot check a column name against a generic table, so the columns are named as plain
  // references; the type parameter keeps the condition to tables that have both.
  return <TB extends WorkspaceTable>(eb: ExpressionBuilder<Database, TB>) =>
    eb.and([eb(sql.ref("organization_id"), "=", ws.organizationId), eb(sql.ref("mode"), "=", ws.mode)]);
}
