import type { Command } from "commander";
import type { ListPage, ListPromise } from "@medblocks/connect";
import { integerIn } from "./parse/option-values.js";
import { dim, emit, say, type OutputOptions } from "./output.js";

/** `--limit`, `--starting-after` and `--all` for list commands, and how a page is shown. */

export interface PageFlags extends OutputOptions {
  limit?: number;
  startingAfter?: string;
  all?: boolean;
}

export function pageOptions(command: Command): Command {
  return command
    .option("--limit <n>", "items per page, 1 to 100 (default 10)", integerIn(1, 100))
    .option("--starting-after <cursor>", "the next_cursor of the previous page")
    .option("--all", "every page, not just the first");
}

export function pageParams(flags: PageFlags): { limit?: number; starting_after?: string } {
  return {
    ...(flags.limit !== undefined ? { limit: flags.limit } : flags.all ? { limit: 100 } : {}),
    ...(flags.startingAfter !== undefined && { starting_after: flags.startingAfter }),
  };
}

/** One page, or with `--all` every item of every page (as one page with `has_more: false`). */
export async function readPages<T>(flags: PageFlags, list: ListPromise<T>): Promise<ListPage<T>> {
  if (!flags.all) return await list;
  const data: T[] = [];
  for await (const item of list) data.push(item);
  return { resource_type: "list", data, has_more: false, next_cursor: null } as ListPage<T>;
}

/** The page as JSON, or as a table with a hint to the next page. */
export function emitPage<T>(flags: PageFlags, page: ListPage<T>, render: (items: T[]) => string): void {
  emit(flags, page, () => {
    say(render(page.data));
    if (page.has_more && page.next_cursor) process.stderr.write(dim(`More: add --starting-after ${page.next_cursor}, or --all\n`));
  });
}
