import type {
  LocalRunClaim,
  LocalRunReport,
  LocalRunStatus,
  RunFollowupRequest,
} from "@ambit/protocol";
import { buildAssignment } from "../../../durable-objects/host-pool/assignment.ts";
import type { RunRef } from "../../../durable-objects/run-session/run-session.ts";
import { and, eq } from "drizzle-orm";
import { runs, teams } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import { type Ctx, requirePersonal, requireRole } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { assertFollowupRoom } from "./followup-run.ts";

/** The part of a LOCAL run's lease its CLI waits between reports (four chances before it lapses). */
const HEARTBEATS_PER_LEASE = 4;

/**
 * Only the creator of a LOCAL run holds it: another team's run is not found, someone else's run
 * or a run a host pool runs is refused, saying why.
 */
async function localRunOf(ctx: Ctx, runId: string, action: string, anywhere = false) {
  requireRole(ctx, "member", action);
  const { row } = await getRunInTeam(ctx, runId);
  if (row.executionLocation !== "LOCAL" && !anywhere) {
    throw new AppError(
      "invalid_request",
      `run ${row.id} is dispatched to a host pool (execution_location ${row.executionLocation}); only LOCAL runs are run by the CLI`,
    );
  }
  if (row.creatorId !== ctx.actor.id) {
    throw new AppError(
      "not_authorized",
      `run ${row.id} is a LOCAL run of another member; only the key that created it runs it`,
    );
  }
  // its claim opens the creator's personal secrets: a key someone else minted for them does not get them
  requirePersonal(ctx, `Running LOCAL run ${row.id}`);
  const ref: RunRef = { runId: row.id, teamId: ctx.teamId };
  return {
    row,
    ref,
    session: runSession(ctx.env, row.id),
    holder: { type: "host" as const, id: `local:${ctx.actor.id}` },
  };
}

/**
 * The creator's CLI takes its LOCAL run: the run moves to CLAIMED and the CLI gets what a host's
 * `task_assignment` carries (the run's frozen config, model, variables, its secrets and a HOST
 * token for the session), plus the lease it must keep with reports.
 */
export async function claimLocalRun({
  ctx,
  runId,
}: {
  ctx: Ctx;
  runId: string;
}): Promise<LocalRunClaim> {
  const { ref, session, holder } = await localRunOf(ctx, runId, "Running a LOCAL run");
  const dispatched = await session.command(ref, "dispatch", holder, {
    message: "Claimed by the CLI on its creator's machine",
  });
  if (!dispatched.ok)
    throw new AppError(
      dispatched.code,
      `${dispatched.message}; a LOCAL run is claimed once, right after it is created`,
    );
  const claimed = await session.command(ref, "claim", holder);
  if (!claimed.ok) throw new AppError(claimed.code, claimed.message);
  // its HOST token lives the team's maximum run time (plus a margin) and dies with the claiming key
  const [team] = await ctx.db
    .select({ maxRunTimeSeconds: teams.maxRunTimeSeconds })
    .from(teams)
    .where(eq(teams.id, ctx.teamId))
    .limit(1);
  const keyId = "keyId" in ctx.actor ? ctx.actor.keyId : undefined;
  const built = await buildAssignment(ctx.env, {
    runId: ref.runId,
    teamId: ref.teamId,
    executionId: claimed.execution_id,
    holder: {
      actor: holder,
      keyId,
      maxRunTimeSeconds: Math.min(
        team?.maxRunTimeSeconds ?? 0,
        getConfig(ctx.env).MAX_RUN_TIME_CEILING_SECONDS,
      ),
    },
    // a LOCAL run has one execution, started by its creator (the only one who may claim it)
    startedBy: dispatched.started_by,
  });
  if (!built.ok) {
    const message =
      built.code === "internal_error" ? built.message : `run ${ref.runId} was not found`;
    await session.command(ref, "error", holder, {
      message,
      error_code: "internal_error",
      retryable: false,
    });
    throw new AppError(built.code, message);
  }
  const lease = await session.lease(ref);
  if (!lease.ok) throw new AppError(lease.code, lease.message);
  return {
    assignment: built.assignment,
    lease_ms: lease.lease_ms,
    heartbeat_interval_ms: Math.floor(lease.lease_ms / HEARTBEATS_PER_LEASE),
  };
}

/**
 * `ambit run continue <id> --local`: the creator of an ended run (hosted or LOCAL) continues it
 * on their machine. The run gets a new execution, LOCAL from now on, whose first message is the
 * follow-up; it is claimed in the same call, so the answer is the claim (its assignment resumes
 * from the run's last checkpoint, whose conversation the CLI's harness picks up).
 */
export async function continueRunLocally({
  ctx,
  runId,
  input,
}: {
  ctx: Ctx;
  runId: string;
  input: RunFollowupRequest;
}): Promise<LocalRunClaim> {
  const { row, ref, session } = await localRunOf(ctx, runId, "Continuing a run locally", true);
  await assertFollowupRoom(ctx, row);
  const actor = { type: ctx.actor.type, id: ctx.actor.id };
  const continued = await session.continueLocally(ref, actor, input);
  if (!continued.ok) throw new AppError(continued.code, continued.message);
  // the row says where the run's executions happen now: the LOCAL routes accept its CLI
  await ctx.db
    .update(runs)
    .set({ executionLocation: "LOCAL" })
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, row.id)));
  return claimLocalRun({ ctx, runId });
}

/**
 * A report of the CLI running a LOCAL run: the same messages a host sends its pool, applied by
 * the same rules in one call to the session (`report`), which renews the lease with it; a
 * heartbeat only renews the lease. A report for a run that already ended changes nothing and
 * says so through `state`.
 */
export async function reportLocalRun({
  ctx,
  runId,
  report,
}: {
  ctx: Ctx;
  runId: string;
  report: LocalRunReport;
}): Promise<LocalRunStatus> {
  const { ref, session, holder } = await localRunOf(ctx, runId, "Reporting on a LOCAL run");
  const now =
    report.type === "heartbeat"
      ? await session.lease(ref)
      : await session.report(ref, holder, report);
  if (!now.ok) throw new AppError(now.code, now.message);
  const leaseMs = getConfig(ctx.env).LOCAL_RUN_LEASE_MS;
  return {
    run_id: ref.runId,
    state: now.state,
    execution_id: now.execution_id,
    cancel_requested: now.cancel_requested,
    lease_ms: leaseMs,
  };
}
