import type { PageInfo } from "@ambit/protocol";
import type { APIPromise, WithResponse } from "./api-promise.ts";

type Paged = { page_info: PageInfo };

/**
 * A cursor-paginated list: await it for the first page, or iterate it with `for await` to get
 * every item of every page (following `page_info.next_cursor` until `has_next_page` is false).
 *
 * @example
 * for await (const run of client.agent.runs.list({ state: ["FAILED"] })) console.log(run.run_id);
 * const firstPage = await client.agent.runs.list({ limit: 50 });
 */
export class PagePromise<P extends Paged, Item> implements PromiseLike<P>, AsyncIterable<Item> {
  private readonly first: APIPromise<P>;

  private readonly fetchPage: (cursor?: string) => APIPromise<P>;
  private readonly itemsOf: (page: P) => Item[];

  constructor(
    fetchPage: (cursor?: string) => APIPromise<P>,
    itemsOf: (page: P) => Item[],
    cursor?: string,
  ) {
    this.fetchPage = fetchPage;
    this.itemsOf = itemsOf;
    this.first = fetchPage(cursor);
  }

  withResponse(): Promise<WithResponse<P>> {
    return this.first.withResponse();
  }

  asResponse(): Promise<Response> {
    return this.first.asResponse();
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, so the call can be awaited or chained
  then<R1 = P, R2 = never>(
    onfulfilled?: ((value: P) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.first.then(onfulfilled, onrejected);
  }

  /** Every page, starting with the first. */
  async *pages(): AsyncGenerator<P> {
    let page = await this.first;
    yield page;
    while (
      page.page_info.has_next_page &&
      page.page_info.next_cursor &&
      this.itemsOf(page).length > 0
    ) {
      page = await this.fetchPage(page.page_info.next_cursor);
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    for await (const page of this.pages()) yield* this.itemsOf(page);
  }
}
