import type { Page } from "../store.js";

/**
 * Checks a page size. The API validates 1..100 before it gets here; a store that quietly accepted 0
 * or a fraction would answer `hasMore: true` with no rows, which a paging client would loop on.
 */
export function fetchSizeFor(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Page limit must be a positive integer, got ${String(limit)}`);
  }
  // One extra row tells whether another page exists without a count query.
  return limit + 1;
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<T>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}
