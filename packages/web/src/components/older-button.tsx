// The next page of a cursor-paged list (`useInfiniteQuery`), on request.
import type { PageInfo } from "@ambit/protocol";

/** `getNextPageParam` of a list the API pages with `page_info`. */
export const nextCursor = (last: { page_info: PageInfo }) =>
  last.page_info.has_next_page ? (last.page_info.next_cursor ?? undefined) : undefined;

export function OlderButton(props: {
  pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  label: string;
}) {
  const { pages } = props;
  if (!pages.hasNextPage) return null;
  return (
    <button
      type="button"
      onClick={() => void pages.fetchNextPage()}
      disabled={pages.isFetchingNextPage}
    >
      {pages.isFetchingNextPage ? "Loading…" : props.label}
    </button>
  );
}
