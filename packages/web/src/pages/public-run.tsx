// A run behind its public link, for anyone holding it: no sign-in, read-only (the header and the
// live transcript, no steering, no sharing), its people anonymous — the API already leaves out
// member ids and emails, and this page asks nothing else (not even `GET /me`).
import { APIError, type RunItem } from "@ambit/sdk";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { useEffect } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { RunHeader } from "../run/run-header.tsx";
import { Transcript } from "../run/transcript.tsx";
import { useRunEvents } from "../run/use-run-events.ts";

const gone = (err: unknown) => err instanceof APIError && err.status === 404;

export function PublicRunPage() {
  const { shareId } = useParams({ from: "/share/$shareId" });
  const run = useQuery({
    queryKey: ["public-run", shareId],
    queryFn: async () => client.publicRuns.retrieve(shareId),
    refetchInterval: (q) => (q.state.error ? false : 3_000),
    retry: (n, err) => !gone(err) && n < 2,
  });
  return (
    <>
      <header className="shell">
        <nav aria-label="Sections">
          <span className="brand">Ambit</span>
          <span className="team">Shared run · read-only</span>
        </nav>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {gone(run.error) ? (
          <section aria-labelledby="gone-title">
            <h1 id="gone-title">This run is no longer shared</h1>
            <p>
              Its public link was turned off, or never existed. Ask whoever sent it to you for a
              current link.
            </p>
          </section>
        ) : run.error ? (
          <Problem error={run.error} what="Could not load the shared run" />
        ) : run.data ? (
          <SharedRun shareId={shareId} run={run.data} />
        ) : (
          <p>Loading…</p>
        )}
      </main>
    </>
  );
}

function SharedRun({ shareId, run }: { shareId: string; run: RunItem }) {
  const live = useRunEvents(shareId, true);
  // a state change seen live: read the run again now (timings, status message), not at next poll
  const queryClient = useQueryClient();
  useEffect(() => {
    if (live.state) void queryClient.invalidateQueries({ queryKey: ["public-run", shareId] });
  }, [live.state, shareId, queryClient]);
  return (
    <>
      <RunHeader run={run} liveState={live.state ?? run.state} />
      {live.status === "reconnecting" && (
        <p role="status" className="banner">
          Connection lost — reconnecting; nothing will be missed.
        </p>
      )}
      {live.status === "failed" && <Problem error={live.error} what="The live view stopped" />}
      <section
        aria-label="Transcript"
        className="tab-panel"
        data-live-status={live.status}
        data-events={live.events.length}
      >
        <Transcript events={live.events} />
      </section>
    </>
  );
}
