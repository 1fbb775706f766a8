import { type EventActor, LOCAL_POOL, poolOf, type RunState } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { notFound, type RunInit, type RunRef, type SessionResult } from "./results.ts";
import { noteSource, startPlatformEvents } from "./platform-events.ts";
import type { Session } from "./session.ts";
import { appendEvent, insertRun, type RunRecord } from "./storage.ts";
import { type DispatchRow, readRunRow } from "./summary.ts";

type Times = { updated_at: number; started_at: number | null; ended_at: number | null };

/** Creates the session (idempotent: a second call answers with the current state). */
export async function init(s: Session, input: RunInit): Promise<SessionResult> {
  if (s.run) return s.run.id === input.runId ? s.ok(s.run, s.run.summary_seq) : notFound(input);
  const seq = create(s, input);
  // a LOCAL run's lease starts now: a CLI that never claims it does not leave it QUEUED
  await s.armTimers();
  return s.ok(s.run!, seq);
}

/**
 * The stored run, or, on this session's first use, the run as its D1 row has it. A run's session
 * opens on first use, not with the run: its host taking it, a client attaching, reading its
 * events, a follow-up, a cancel. Until then the D1 row is the whole of the run (a QUEUED run,
 * the creation in its columns, why it waits in `status_message`), and the log starts from it.
 * `known`: the row as the caller just read it (the pool, to give the run to a host), read again
 * only if it is not this run's.
 */
export async function load(
  s: Session,
  ref: RunRef,
  known?: DispatchRow,
): Promise<RunRecord | null> {
  if (s.run) return s.run.id === ref.runId && s.run.team_id === ref.teamId ? s.run : null;
  const row =
    known?.id === ref.runId && known.team_id === ref.teamId
      ? known
      : await readRunRow(s.env.DB, ref.runId, ref.teamId);
  if (!row || s.run) return s.run;
  const creator: EventActor =
    row.creator_id === "system"
      ? { type: "system", id: "system" }
      : { type: row.creator_type, id: row.creator_id };
  create(
    s,
    {
      runId: row.id,
      teamId: row.team_id,
      state: row.state as RunState,
      createdAt: row.created_at,
      prompt: row.prompt,
      pool: row.execution_location === "LOCAL" ? LOCAL_POOL : poolOf(row.worker_host),
      statusMessage: row.status_message ? JSON.parse(row.status_message) : null,
      actor: creator,
    },
    { updated_at: row.updated_at, started_at: row.started_at, ended_at: row.ended_at },
  );
  noteSource(s, row.source);
  return s.run;
}

/** Writes the run and its `run.created` event; answers that event's seq. */
function create(s: Session, input: RunInit, times?: Times): number {
  const leaseMs = getConfig(s.env).LOCAL_RUN_LEASE_MS;
  const run: RunRecord = {
    id: input.runId,
    team_id: input.teamId,
    state: input.state,
    status_message: input.statusMessage,
    cancel_requested_at: null,
    created_at: input.createdAt,
    updated_at: times?.updated_at ?? input.createdAt,
    started_at: times?.started_at ?? null,
    ended_at: times?.ended_at ?? null,
    summary_seq: 0,
    synced_seq: 0,
    execution_id: 1,
    host_seq: 0,
    archived_seq: 0,
    pool: input.pool ?? "warp",
    max_run_ms: null,
    deadline_at: null,
    timed_out_at: null,
    stop_status: null,
    lease_until: input.pool === LOCAL_POOL ? input.createdAt + leaseMs : null,
    started_by: input.actor,
    platform_seq: null,
  };
  const seq = s.ctx.storage.transactionSync(() => {
    const e = appendEvent(s.sql, {
      // new storage's log is empty: the first seq is known
      ...(s.loggedSeq !== undefined ? { seq: s.loggedSeq + 1 } : {}),
      type: "run.created",
      at: input.createdAt,
      actor: input.actor,
      execution_id: 1,
      payload: {
        state: input.state,
        ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
        ...(input.statusMessage ? { status_message: input.statusMessage } : {}),
      },
    });
    // the D1 row was written with this very summary by createRun (or is where it came from)
    run.summary_seq = run.synced_seq = e.seq;
    // its platform event (run.created) is createRun's: the cursor starts past it
    run.platform_seq = e.seq;
    insertRun(s.sql, run);
    startPlatformEvents(s, e.seq);
    return e.seq;
  });
  s.opened(run);
  s.loggedSeq = seq;
  return seq;
}
