import { describe, expect, it } from "vitest";
import { ListPromise, type ListPage } from "./pagination.js";

/** An in-memory list of `total` numbers, newest (largest) first, paged by cursor. */
function pagedNumbers(total: number, limit: number) {
  const calls: (string | undefined)[] = [];
  const items = Array.from({ length: total }, (_, i) => total - i);
  const fetchPage = async (cursor: string | undefined): Promise<ListPage<number>> => {
    calls.push(cursor);
    const start = cursor === undefined ? 0 : items.indexOf(Number(cursor)) + 1;
    const data = items.slice(start, start + limit);
    const hasMore = start + limit < items.length;
    return { resource_type: "list", data, has_more: hasMore, next_cursor: hasMore ? String(data.at(-1)) : null };
  };
  return { calls, fetchPage };
}

describe("ListPromise", () => {
  it("awaits to the first page only", async () => {
    const { calls, fetchPage } = pagedNumbers(7, 3);
    const page = await new ListPromise(fetchPage);
    expect(page).toEqual({ resource_type: "list", data: [7, 6, 5], has_more: true, next_cursor: "5" });
    expect(calls).toEqual([undefined]);
  });

  it("autoPagingIterator walks every page in order, following next_cursor", async () => {
    const { calls, fetchPage } = pagedNumbers(7, 3);
    const seen: number[] = [];
    for await (const n of new ListPromise(fetchPage).autoPagingIterator()) seen.push(n);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(calls).toEqual([undefined, "5", "2"]);
  });

  it("for await on the promise itself does the same, and fetches lazily", async () => {
    const { calls, fetchPage } = pagedNumbers(10, 2);
    const seen: number[] = [];
    for await (const n of new ListPromise(fetchPage)) {
      seen.push(n);
      if (n === 7) break;
    }
    expect(seen).toEqual([10, 9, 8, 7]);
    expect(calls).toEqual([undefined, "9"]);
  });

  it("requests the first page once, however often it is awaited or iterated", async () => {
    const { calls, fetchPage } = pagedNumbers(2, 5);
    const list = new ListPromise(fetchPage);
    await list;
    await list;
    const seen: number[] = [];
    for await (const n of list) seen.push(n);
    expect(seen).toEqual([2, 1]);
    expect(calls).toEqual([undefined]);
  });

  it("an empty list yields nothing", async () => {
    const { fetchPage } = pagedNumbers(0, 5);
    const seen: number[] = [];
    for await (const n of new ListPromise(fetchPage)) seen.push(n);
    expect(seen).toEqual([]);
  });

  it("a failed page rejects the await, the iteration, catch and finally", async () => {
    const boom = new Error("boom");
    const list = new ListPromise<number>(async () => {
      throw boom;
    });
    await expect(list).rejects.toBe(boom);
    await expect(list.autoPagingIterator().next()).rejects.toBe(boom);
    expect(await list.catch((e: unknown) => e)).toBe(boom);
    let finished = false;
    await expect(list.finally(() => (finished = true))).rejects.toBe(boom);
    expect(finished).toBe(true);
  });

  it("stops instead of looping when the server repeats a cursor", async () => {
    const page: ListPage<number> = { resource_type: "list", data: [1], has_more: true, next_cursor: "same" };
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of new ListPromise(async () => page)) seen.push(n);
      })(),
    ).rejects.toThrow(/same list cursor twice/);
    expect(seen).toEqual([1]);
  });

  it("is tagged for debugging", () => {
    const { fetchPage } = pagedNumbers(1, 1);
    expect(Object.prototype.toString.call(new ListPromise(fetchPage))).toBe("[object ListPromise]");
  });
});
