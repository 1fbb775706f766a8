import { type EventActor, LOCAL_POOL, type RunStatusMessage } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { teams } from "../../src/db/schema.ts";
import { dispatchRun } from "../../src/lib/dispatch.ts";
import { lastCheckpointOf, noteResumedAfterHostLost } from "./checkpoints.ts";
import { load } from "./open.ts";
import type { RunRef, SessionResult } from "./results.ts";
import type { Session } from "./session.ts";
import { transition } from "./state-machine.ts";
import { applySteps } from "./transitions.ts";

/** How many times this run resumed after losing a host (the session's own storage). */
const ATTEMPTS = "host_lost_resumes";

/**
 * A run whose host was lost for good goes back in line to resume on another host from its last
 * checkpoint (a new execution; its assignment carries `resume`), instead of ending ERROR: when it
 * has a checkpoint, no stop was asked of it, and it resumed fewer times than the team's
 * `resume_attempts`. A `log` event says what was lost: everything after the checkpoint. Null
 * when it does not resume (the caller ends it as before).
 */
export async function resumeAfterHostLost(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  lost: RunStatusMessage,
): Promise<SessionResult | null> {
  const run = await load(s, ref);
  if (!run || run.pool === LOCAL_POOL) return null;
  if (run.cancel_requested_at !== null || run.timed_out_at !== null) return null;
  const last = lastCheckpointOf(s);
  const t = transition(run.state, "resume");
  if (!last || !t.ok) return null;
  const kv = s.ctx.storage.kv;
  const used = kv.get<number>(ATTEMPTS) ?? 0;
  const [team] = await createDb(s.env.DB)
    .select({ attempts: teams.resumeAttempts })
    .from(teams)
    .where(eq(teams.id, run.team_id))
    .limit(1);
  const allowed = team?.attempts ?? 0;
  if (used >= allowed) return null;
  const what =
    `${lost.message.replace(/;.*$/, "")}. The run resumes on another host from its checkpoint of ` +
    `${last.created_at} (attempt ${used + 1} of ${allowed}); what the agent did after that ` +
    "checkpoint is lost";
  s.record(
    run,
    [{ type: "log", actor, payload: { level: "warning", message: what, source: "platform" } }],
    () => kv.put(ATTEMPTS, used + 1),
  );
  const status = { message: `Queued to resume: ${what}` };
  const result = await applySteps(
    s,
    run,
    [{ command: "resume", from: t.from, to: t.to, status }],
    actor,
  );
  noteResumedAfterHostLost(s, run.execution_id);
  await dispatchRun(s.env, {
    runId: run.id,
    teamId: run.team_id,
    pool: run.pool,
    executionId: run.execution_id,
    sessionOpen: true,
  });
  return result;
}
