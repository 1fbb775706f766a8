// `/settings/audit-log` (admins): the team's audit log, newest first, filtered by the URL's
// search (actor, action, target, from, to), a page at a time as the reader scrolls.
import type { AuditEntry } from "@ambit/sdk";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useEffect, useRef } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";

export type AuditSearch = {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
};
const KEYS = ["actor", "action", "target", "from", "to"] as const;

export function parseAuditSearch(s: Record<string, unknown>): AuditSearch {
  const out: AuditSearch = {};
  for (const k of KEYS) if (typeof s[k] === "string" && s[k]) out[k] = s[k] as string;
  return out;
}

/** A date of the filter (YYYY-MM-DD) as the API's instant: the start of that day, here. */
const instant = (day: string | undefined, plusDays = 0) =>
  day
    ? new Date(new Date(`${day}T00:00:00`).getTime() + plusDays * 86_400_000).toISOString()
    : undefined;

const PAGE = 50;

export function AuditLogPage() {
  const search = useSearch({ from: "/app/settings/audit-log" });
  const navigate = useNavigate({ from: "/settings/audit-log" });
  const me = useMe();
  const admin = me.data ? me.data.role === "owner" || me.data.role === "admin" : undefined;
  const entries = useInfiniteQuery({
    queryKey: ["audit-log", search],
    queryFn: async ({ pageParam }) =>
      client.auditLog.list({
        ...(search.actor ? { actor: search.actor } : {}),
        ...(search.action ? { action: search.action } : {}),
        ...(search.target ? { target: search.target } : {}),
        ...(search.from ? { from: instant(search.from) } : {}),
        ...(search.to ? { to: instant(search.to, 1) } : {}),
        limit: PAGE,
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: "",
    getNextPageParam: (last) =>
      last.page_info.has_next_page ? last.page_info.next_cursor : undefined,
    enabled: admin === true,
  });
  const more = useRef<HTMLButtonElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = entries;
  // the next page comes as the "more" button scrolls into view (and on its click, by keyboard)
  useEffect(() => {
    const button = more.current;
    if (!button || !hasNextPage) return;
    const seen = new IntersectionObserver((items) => {
      if (items.some((i) => i.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    seen.observe(button);
    return () => seen.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next: AuditSearch = {};
    for (const k of KEYS) {
      const v = String(f.get(k) ?? "").trim();
      if (v) next[k] = v;
    }
    void navigate({ search: next });
  }

  const rows = entries.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <p className="help">
        Every write and security event of the team, newest first. Each entry is linked to the one
        before by its hash: <code>ambit audit verify</code> checks the whole chain.
      </p>
      {admin === false && (
        <p role="alert" className="problem">
          The audit log is for the team's admins and owners.
        </p>
      )}
      <form className="toolbar audit-filters" onSubmit={apply} key={JSON.stringify(search)}>
        <label>
          Actor <input name="actor" defaultValue={search.actor} size={16} />
        </label>
        <label>
          Action{" "}
          <input name="action" defaultValue={search.action} size={16} placeholder="member." />
        </label>
        <label>
          Target <input name="target" defaultValue={search.target} size={16} />
        </label>
        <label>
          From <input type="date" name="from" defaultValue={search.from} />
        </label>
        <label>
          To (included) <input type="date" name="to" defaultValue={search.to} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Problem error={entries.error} what="Could not read the audit log" />
      {entries.isPending && admin && <p>Loading…</p>}
      {entries.data && rows.length === 0 && <p>No entries match.</p>}
      {rows.length > 0 && (
        <table className="runs audit-log">
          <caption className="sr-only">Audit entries</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <AuditRow key={e.id} entry={e} />
            ))}
          </tbody>
        </table>
      )}
      {hasNextPage && (
        <button
          ref={more}
          type="button"
          onClick={() => void fetchNextPage()}
          disabled={isFetchingNextPage}
        >
          {isFetchingNextPage ? "Loading…" : "Older entries"}
        </button>
      )}
    </>
  );
}

function AuditRow({ entry: e }: { entry: AuditEntry }) {
  const changes = Object.entries(e.changes ?? {});
  return (
    <tr data-seq={e.seq}>
      <td>{e.seq}</td>
      <td>{formatTime(e.at)}</td>
      <td>
        {e.actor.name ?? e.actor.id} <span className="help">({e.actor.type})</span>
      </td>
      <td>
        <code>{e.action}</code>
      </td>
      <td>{e.target.id ? `${e.target.type ?? ""} ${e.target.id}` : (e.target.type ?? "—")}</td>
      <td>
        {changes.length === 0 ? (
          "—"
        ) : (
          <details>
            <summary>
              {changes.length} field{changes.length === 1 ? "" : "s"}
            </summary>
            <dl className="audit-changes">
              {changes.map(([field, c]) => (
                <div key={field}>
                  <dt>{field}</dt>
                  <dd>
                    {show(c.before)} → {show(c.after)}
                  </dd>
                </div>
              ))}
            </dl>
            <p className="help">
              {e.ip ?? "no address"} · {e.user_agent ?? "no user agent"} · request{" "}
              {e.request_id ?? "—"}
            </p>
          </details>
        )}
      </td>
    </tr>
  );
}

const show = (v: unknown) => (v === undefined || v === null ? "∅" : JSON.stringify(v));
