import type { Crossing } from "../../../durable-objects/team-ledger/team-ledger.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { recordAuditSafely } from "../../db/audit-log.ts";
import { usd } from "../../lib/budgets.ts";
import { log } from "../../lib/log.ts";
import { emitPlatformEventOrLog } from "../../lib/platform-events.ts";
import { iso, isoOrNull } from "../../lib/time.ts";

const NAMES = {
  team: "the team's monthly budget",
  member: "a member's monthly budget",
  run: "this run's cost cap",
};

/**
 * Announces the thresholds a settled model call made budgets reach (the ledger hands each out
 * once a period): a `budget.threshold` platform event (outbound webhooks), an audit entry by the
 * platform, and a `log` event on the run whose call reached it. Best effort: each is logged when
 * it fails, and the ledger does not hand the threshold out again.
 */
export async function announceCrossings(
  env: Env,
  call: { teamId: string; runId: string },
  crossings: Crossing[],
): Promise<void> {
  await Promise.all(crossings.map((c) => announce(env, call, c)));
}

async function announce(env: Env, call: { teamId: string; runId: string }, c: Crossing) {
  const at = Date.now();
  const data = {
    budget: c.budget,
    ...(c.budget === "member" ? { member_id: c.key } : {}),
    run_id: call.runId,
    threshold: c.threshold,
    limit_usd: usd(c.limit),
    spent_usd: usd(c.spent),
    period_start: c.budget === "run" ? null : iso(c.periodStart),
    resets_at: isoOrNull(c.resetsAt),
  };
  const what = `${NAMES[c.budget]} of $${usd(c.limit).toFixed(2)}`;
  const message =
    `${c.threshold} % of ${what} is spent ($${usd(c.spent).toFixed(2)})` +
    (c.threshold >= 100 ? ": model calls it covers are refused until it resets or is raised" : "");
  await Promise.all([
    emitPlatformEventOrLog(env, {
      team_id: call.teamId,
      type: "budget.threshold",
      data,
      at,
    }),
    recordAuditSafely(env, {
      teamId: call.teamId,
      actor: { type: "platform", id: "platform", name: "Ambit" },
      action: "budget.threshold",
      target: { type: c.budget, id: c.budget === "team" ? call.teamId : c.key },
      changes: { spent_usd: { after: data.spent_usd }, threshold: { after: c.threshold } },
      at,
    }),
    runSession(env, call.runId)
      .note(
        { runId: call.runId, teamId: call.teamId },
        { level: c.threshold >= 100 ? "warning" : "info", message, source: "budget" },
      )
      .catch((error) => log.error("budget threshold not noted on the run", { error })),
  ]);
}
