/** A page of a list response (contract §5 "Lists"), newest first unless the method says otherwise. */
export interface ListPage<T> {
  /** Always `"list"`. */
  resource_type: "list";
  /** The items of this page. */
  data: T[];
  /** Whether more items follow this page. */
  has_more: boolean;
  /** Pass as `starting_after` to get the next page; `null` on the last page. */
  next_cursor: string | null;
}

/** Fetches the page that starts after `cursor` (the first page when `cursor` is undefined). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<ListPage<T>>;

/**
 * What every list method returns. `await` it for one page; iterate it (`for await`, or
 * `.autoPagingIterator()`) to walk every item of every page, fetching the next page only when the
 * current one is used up.
 *
 * ```ts
 * const page = await mb.webhooks.list({ limit: 20 });          // { data, has_more, next_cursor }
 * for await (const endpoint of mb.webhooks.list({ status: "disabled" })) { … }
 * ```
 */
export class ListPromise<T> implements PromiseLike<ListPage<T>>, AsyncIterable<T> {
  readonly #firstPage: Promise<ListPage<T>>;
  readonly #fetchPage: PageFetcher<T>;

  /** Requests the first page at once, like any promise; later pages only as iteration reaches them. */
  constructor(fetchPage: PageFetcher<T>) {
    this.#fetchPage = fetchPage;
    this.#firstPage = fetchPage(undefined);
    // Iterating reads the first page later, maybe after it failed: that failure is not unhandled.
    this.#firstPage.catch(() => {});
  }

  then<R1 = ListPage<T>, R2 = never>(
    onfulfilled?: ((page: ListPage<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#firstPage.then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<ListPage<T> | R> {
    return this.#firstPage.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<ListPage<T>> {
    return this.#firstPage.finally(onfinally);
  }

  /** Every item of every page, in order, fetching each next page (`starting_after=next_cursor`) on demand. */
  autoPagingIterator(): AsyncIterableIterator<T> {
    return walkPages(this.#firstPage, this.#fetchPage);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.autoPagingIterator();
  }

  get [Symbol.toStringTag](): string {
    return "ListPromise";
  }
}

async function* walkPages<T>(first: Promise<ListPage<T>>, fetchPage: PageFetcher<T>): AsyncIterableIterator<T> {
  let page = await first;
  for (;;) {
    yield* page.data;
    const cursor = page.next_cursor;
    if (!page.has_more || cursor === null) return;
    page = await fetchPage(cursor);
    // A page that repeats its own cursor would loop forever; the API never does this.
    if (page.has_more && page.next_cursor === cursor) {
      throw new Error(`The Medblocks API returned the same list cursor twice (${cursor}); stopping to avoid an endless loop.`);
    }
  }
}
