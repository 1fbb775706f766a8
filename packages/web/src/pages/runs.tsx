// Runs: quick views, a search box, filter chips, sort, cursor paging; polled so states change
// on screen within 3 s.
import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { useMe } from "../lib/me.ts";
import { RunFilters } from "../run/run-filters.tsx";
import { QUICK_VIEWS, quickViewSearch, type RunsSearch, toListParams } from "../run/runs-search.ts";
import { RunsTable } from "../run/runs-table.tsx";

const PAGE_SIZE = 25;
export const RUNS_POLL_MS = 2_000;

/** The page of runs `search` shows: also started by the router's loader, beside `GET /me`. */
export function runsQuery(search: RunsSearch) {
  const params = toListParams(search, PAGE_SIZE);
  return queryOptions({
    queryKey: ["runs", params, search.cursor],
    queryFn: async () =>
      client.agent.runs.list({ ...params, ...(search.cursor ? { cursor: search.cursor } : {}) }),
  });
}

export function RunsPage() {
  const search = useSearch({ from: "/app/runs" });
  const navigate = useNavigate({ from: "/runs" });
  const me = useMe();
  const [q, setQ] = useState(search.q ?? "");
  const params = toListParams(search, PAGE_SIZE);
  const runs = useQuery({
    ...runsQuery(search),
    refetchInterval: RUNS_POLL_MS,
    placeholderData: keepPreviousData,
  });
  const go = (next: RunsSearch) => navigate({ search: next });
  const view = search.view ?? (Object.keys(params).length === 1 ? "all" : undefined);

  function submitSearch(e: FormEvent) {
    e.preventDefault();
    go({ ...search, q: q.trim() || undefined, cursor: undefined, view: undefined });
  }

  return (
    <>
      <div className="page-head">
        <h1>Runs</h1>
        {me.data?.role !== "viewer" && (
          <Link to="/runs/new" className="button primary">
            New run
          </Link>
        )}
      </div>
      <nav aria-label="Quick views" className="views">
        {QUICK_VIEWS.map((v) => (
          <Link
            key={v}
            to="/runs"
            search={quickViewSearch(v, me.data?.user?.uid)}
            aria-current={view === v ? "page" : undefined}
          >
            {v[0].toUpperCase() + v.slice(1)}
          </Link>
        ))}
      </nav>
      <div className="toolbar">
        {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for some screen readers; role=search on a form is the established landmark */}
        <form role="search" onSubmit={submitSearch}>
          <label htmlFor="runs-q" className="sr-only">
            Search runs
          </label>
          <input
            id="runs-q"
            type="search"
            placeholder="Search title and prompt"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          <button type="submit">Search</button>
        </form>
        <label>
          Sort{" "}
          <select
            value={`${search.sort_by ?? "updated_at"}:${search.sort_order ?? "desc"}`}
            onChange={(e) => {
              const [sort_by, sort_order] = e.target.value.split(":") as [
                RunsSearch["sort_by"],
                RunsSearch["sort_order"],
              ];
              go({ ...search, sort_by, sort_order, cursor: undefined });
            }}
          >
            <option value="updated_at:desc">Recently updated</option>
            <option value="created_at:desc">Newest</option>
            <option value="created_at:asc">Oldest</option>
            <option value="title:asc">Title A–Z</option>
            <option value="title:desc">Title Z–A</option>
          </select>
        </label>
      </div>
      <RunFilters search={search} />
      <Problem error={runs.error} what="Could not list runs" />
      {runs.data &&
        (runs.data.runs.length ? (
          <RunsTable runs={runs.data.runs} />
        ) : (
          <p className="empty">No runs match.</p>
        ))}
      <nav aria-label="Pages" className="pager">
        {search.cursor && (
          <Link to="/runs" search={{ ...search, cursor: undefined }}>
            First page
          </Link>
        )}
        {runs.data?.page_info.has_next_page && runs.data.page_info.next_cursor && (
          <Link to="/runs" search={{ ...search, cursor: runs.data.page_info.next_cursor }}>
            Next page
          </Link>
        )}
      </nav>
    </>
  );
}
