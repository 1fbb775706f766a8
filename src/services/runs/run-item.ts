import { HELD_STATES, type RunItem, type RunState, type TaskItem } from "@ambit/protocol";
import type { runArtifacts, runs } from "../../db/schema.ts";
import { iso, isoDuration } from "../../lib/time.ts";
import { type UsageLine, toRequestUsage } from "./run-usage.ts";
import { sharingOf } from "./sharing.ts";

export type RunRow = typeof runs.$inferSelect;
export type ArtifactRow = typeof runArtifacts.$inferSelect;
export type ArtifactView = Pick<ArtifactRow, "artifactType" | "createdAt" | "data">;
export type CreatorRow = { displayName: string | null; email: string | null } | null;

/** a host claimed it and holds it: the held states (`HELD_STATES`) past PENDING (offered, not yet claimed) */
const SANDBOX_RUNNING: readonly RunState[] = HELD_STATES.filter((s) => s !== "PENDING");

/**
 * The one place that decides what of a run row is public. `usage`: the run's ledger lines
 * (run-usage.ts), for `request_usage`; left out where the caller may not see costs.
 */
export function toRunItem(
  row: RunRow,
  creator: CreatorRow,
  artifacts: ArtifactView[],
  baseUrl: string,
  usage?: UsageLine[],
): RunItem {
  const runTime =
    row.startedAt !== null ? isoDuration((row.endedAt ?? Date.now()) - row.startedAt) : undefined;
  return {
    run_id: row.id,
    task_id: row.id,
    title: row.title,
    state: row.state as RunState,
    prompt: row.prompt,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    started_at: row.startedAt !== null ? iso(row.startedAt) : null,
    ...(runTime ? { run_time: runTime } : {}),
    execution_location: row.executionLocation as RunItem["execution_location"],
    ...(row.statusMessage
      ? { status_message: row.statusMessage as RunItem["status_message"] }
      : {}),
    source: row.source as RunItem["source"],
    ...(row.scheduleInfo ? { schedule: row.scheduleInfo as RunItem["schedule"] } : {}),
    ...(row.triggerUrl ? { trigger_url: row.triggerUrl } : {}),
    // the run's live session: attach with GET /agent/runs/{id}/session (websocket) or /events (SSE)
    session_id: row.sessionId ?? row.id,
    session_link: `${baseUrl.replace(/^http/, "ws")}/api/v1/agent/runs/${row.id}/session`,
    creator: {
      type: row.creatorType,
      uid: row.creatorId,
      ...(creator?.displayName ? { display_name: creator.displayName } : {}),
      ...(creator?.email ? { email: creator.email } : {}),
    },
    ...executorOf(row),
    agent_config: (row.agentConfig ?? {}) as RunItem["agent_config"],
    ...(row.conversationId ? { conversation_id: row.conversationId } : {}),
    ...(row.parentRunId ? { parent_run_id: row.parentRunId } : {}),
    ...(row.metadata ? { metadata: row.metadata as Record<string, string> } : {}),
    is_sandbox_running: SANDBOX_RUNNING.includes(row.state as RunState),
    is_run_type_cancellable: row.executionLocation === "REMOTE",
    artifacts: artifacts.map((a) => ({
      artifact_type: a.artifactType as never,
      created_at: iso(a.createdAt),
      data: a.data as Record<string, unknown>,
    })),
    ...(usage ? { request_usage: toRequestUsage(usage, row) } : {}),
    scope:
      row.scope === "Team"
        ? { type: "Team", uid: row.teamId }
        : { type: "User", uid: row.creatorId },
    sharing: sharingOf(row, baseUrl),
  };
}

/** A run started as a named agent executes as that service account. */
function executorOf(row: RunRow): Pick<RunItem, "executor"> {
  const uid = (row.agentConfig as { agent_identity_uid?: string } | null)?.agent_identity_uid;
  return uid ? { executor: { type: "service_account", uid } } : {};
}

/** The legacy `TaskItem` view of a run (`/agent/tasks`). */
export function toTaskItem(item: RunItem): TaskItem {
  return {
    task_id: item.run_id,
    title: item.title,
    prompt: item.prompt,
    state: item.state,
    created_at: item.created_at,
    updated_at: item.updated_at,
    agent_config: item.agent_config,
    creator: { type: item.creator?.type, uid: item.creator?.uid },
    ...(item.session_id ? { session_id: item.session_id } : {}),
    ...(item.session_link ? { session_link: item.session_link } : {}),
    source: item.source,
    ...(item.status_message ? { status_message: { message: item.status_message.message } } : {}),
  };
}
