import { and, eq } from "drizzle-orm";
import type { StandingChange } from "../../../durable-objects/run-session/run-session.ts";
import { liveAttachments } from "../../db/schema.ts";
import type { Ctx } from "../context.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { log } from "../../lib/log.ts";

/**
 * A principal's standing changed (removed, another role, a key revoked): the sessions of the runs
 * they are attached to check each of their connections against D1 again and close (4003) those
 * whose access fell. Only those runs are told: `live_attachments` says which (written by the
 * sessions as connections open and close). Call it after the change is written. A session that
 * cannot be told is logged, not retried: every steering frame is checked against D1 anyway, so
 * what is left open at worst watches.
 */
export async function recheckLiveAccess(
  ctx: Pick<Ctx, "db" | "env" | "teamId" | "requestId">,
  change: StandingChange,
): Promise<void> {
  const rows = await ctx.db
    .selectDistinct({ runId: liveAttachments.runId })
    .from(liveAttachments)
    .where(
      and(
        eq(liveAttachments.teamId, ctx.teamId),
        "keyId" in change
          ? eq(liveAttachments.keyId, change.keyId)
          : eq(liveAttachments.principalId, change.principalId),
      ),
    );
  await Promise.all(
    rows.map(({ runId }) =>
      runSession(ctx.env, runId)
        .recheckAccess({ runId, teamId: ctx.teamId }, change)
        .catch((err: unknown) =>
          log.error("live access recheck failed", {
            run_id: runId,
            request_id: ctx.requestId,
            error: err,
          }),
        ),
    ),
  );
}
