// One run: its header, then tabs (the live transcript, the timeline, artifacts), the follow-up box
// and cancel for those who may steer it, who else is watching, and the transcript's download.
import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useParams, useSearch } from "@tanstack/react-router";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { isTerminal } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";
import { Artifacts } from "../run/artifacts.tsx";
import { CancelButton } from "../run/cancel-button.tsx";
import { Conversation } from "../run/conversation.tsx";
import { FollowupBox } from "../run/followup-box.tsx";
import { presenceText } from "../run/presence.ts";
import { RunHeader } from "../run/run-header.tsx";
import { ShareDialog } from "../run/share-dialog.tsx";
import { Timeline } from "../run/timeline.tsx";
import { Transcript } from "../run/transcript.tsx";
import { useRunEvents } from "../run/use-run-events.ts";

const TABS = {
  transcript: "Transcript",
  conversation: "Conversation",
  timeline: "Timeline",
  artifacts: "Artifacts",
} as const;
type Tab = keyof typeof TABS;
/** `diff`: the artifact the artifacts tab shows as a diff; `view`: how (unified by default). */
export type RunSearch = { tab?: Tab; diff?: string; view?: "unified" | "split" };
export const parseRunSearch = (s: Record<string, unknown>): RunSearch => ({
  ...(s.tab && Object.hasOwn(TABS, s.tab as string) ? { tab: s.tab as Tab } : {}),
  ...(typeof s.diff === "string" && s.diff.length <= 64 ? { diff: s.diff } : {}),
  ...(s.view === "split" || s.view === "unified" ? { view: s.view } : {}),
});

/** `GET /agent/runs/{id}`: also started by the router's loader, beside `GET /me`. */
export const runQuery = (runId: string) =>
  queryOptions({
    queryKey: ["run", runId],
    queryFn: async () => client.agent.runs.retrieve(runId),
  });

export function RunPage() {
  const { runId } = useParams({ from: "/app/runs/$runId" });
  const { tab = "transcript", diff, view } = useSearch({ from: "/app/runs/$runId" });
  const me = useMe();
  const run = useQuery({ ...runQuery(runId), refetchInterval: 3_000 });
  const live = useRunEvents(runId);
  const state = live.state ?? run.data?.state;
  // a state change seen live: read the run again now (timings, status message), not at next poll
  const queryClient = useQueryClient();
  useEffect(() => {
    if (live.state) void queryClient.invalidateQueries({ queryKey: ["run", runId] });
  }, [live.state, runId, queryClient]);
  const mayWrite = canWrite(me.data) && live.access === "EDITOR";
  // the creator or an admin changes sharing (the API decides; this hides a button it would refuse)
  const mayShare =
    !!me.data &&
    (me.data.role === "owner" ||
      me.data.role === "admin" ||
      (canWrite(me.data) && run.data?.creator?.uid === me.data.user?.uid));

  if (run.error) return <Problem error={run.error} what="Could not load the run" />;
  if (!run.data) return <p>Loading…</p>;
  return (
    <>
      <RunHeader run={run.data} liveState={state} />
      <div className="run-actions">
        {mayWrite && !isTerminal(state) && <CancelButton runId={runId} />}
        {mayShare && <ShareDialog runId={runId} sharing={run.data.sharing} />}
        <a
          className="button"
          href={client.buildURL(`/agent/runs/${encodeURIComponent(runId)}/transcript`)}
          download={`${runId}.ndjson`}
        >
          Download transcript
        </a>
        <span className="presence" aria-live="polite">
          {presenceText(live.presence)}
        </span>
      </div>
      {live.status === "reconnecting" && (
        <p role="status" className="banner">
          Connection lost — reconnecting; nothing will be missed.
        </p>
      )}
      {live.status === "failed" && <Problem error={live.error} what="The live view stopped" />}
      <nav className="tabs" aria-label="Run views">
        {(Object.keys(TABS) as Tab[]).map((t) => (
          <Link
            key={t}
            to="/runs/$runId"
            params={{ runId }}
            search={t === "transcript" ? {} : { tab: t }}
            aria-current={tab === t ? "page" : undefined}
          >
            {TABS[t]}
          </Link>
        ))}
      </nav>
      <section
        aria-label={TABS[tab]}
        className="tab-panel"
        data-live-status={live.status}
        data-events={live.events.length}
      >
        {tab === "transcript" && <Transcript events={live.events} />}
        {tab === "conversation" && <Conversation runId={runId} />}
        {tab === "timeline" && <Timeline runId={runId} />}
        {tab === "artifacts" && (
          <Artifacts runId={runId} artifacts={run.data.artifacts ?? []} diff={diff} view={view} />
        )}
      </section>
      {mayWrite && <FollowupBox runId={runId} />}
    </>
  );
}
