import { LOCAL_POOL, type RunStatusMessage } from "@ambit/protocol";
import { load } from "./open.ts";
import { notFound, type RunRef, type SessionResult } from "./results.ts";
import type { Session } from "./session.ts";
import type { RunRecord } from "./storage.ts";

// Why a QUEUED run waits (no host, all busy, the team's limit): its pool says, and the session
// records it as live status, changing nothing else about the run.

/** Says why a run is waiting (no host, all busy…), without changing its state. */
export async function waiting(
  s: Session,
  ref: RunRef,
  statusMessage: RunStatusMessage,
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (run.state !== "QUEUED" || run.status_message?.message === statusMessage.message) {
    return s.ok(run, run.summary_seq);
  }
  const actor = { type: "system" as const, id: "dispatch" };
  const payload = { status_message: statusMessage };
  const [e] = s.record(run, [{ type: "run.waiting", actor, payload }], ([w]) => {
    // a wait reason is live status, not a change to the run: updated_at (and with it every
    // list sorted by it) stays put while a run waits
    run.status_message = statusMessage;
    run.summary_seq = w.seq;
  });
  await s.syncSummary();
  return s.ok(run, e.seq);
}

/**
 * Someone looks at a QUEUED run (reads its events, attaches): from now on its pool tells this
 * session, not only the D1 row, why the run waits, so what they see stays live. Asked once per
 * instance; the pool tells the sessions it opened itself (a dispatch, a requeue) unasked.
 */
export async function watchLine(s: Session, run: RunRecord) {
  if (s.watching || run.state !== "QUEUED" || run.pool === LOCAL_POOL) return;
  s.watching = true;
  await s.tellPool(run, async (pool) => {
    const { told } = await pool.watch(run.id);
    if (told) await waiting(s, { runId: run.id, teamId: run.team_id }, { message: told });
  });
}
