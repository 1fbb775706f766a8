import { createDb } from "../db/client.ts";
import { rewrapStaleTeamKeys } from "../lib/team-data-key.ts";
import { archiveAuditLog } from "../services/audit/archive.ts";
import { pruneIdempotencyKeys } from "../services/idempotency.ts";
import { redispatchLostRuns } from "../services/runs/redispatch.ts";
import { pruneDeliveryPayloads } from "../services/integrations/payloads.ts";
import { pruneWebSessions } from "../services/web-sessions.ts";
import { requeueStalledDeliveries } from "../services/webhooks/sweep.ts";
import { log } from "../lib/log.ts";

/**
 * Every minute: drop idempotency records past their 24 h window and web sessions and sign-in links
 * past their end, integration delivery payloads past 30 days, after a `SECRETS_KEY` rotation
 * rewrap teams' data keys under the new key, offer again REMOTE runs QUEUED (or PENDING) for
 * minutes that no pool has (their dispatch was lost: services/runs/redispatch.ts), queue again outbound webhook
 * attempts whose message was lost, and move audit entries past their team's retention to R2.
 * (Schedules have their own: cron/schedules.ts.)
 */
export async function runHousekeeping(env: Env, now: number) {
  // first, and on its own: a run no pool has waits for nothing else, and a step below that
  // throws must not leave it stuck
  const runsRedispatched = await redispatchLostRuns(env, now).catch((err) => {
    log.error("lost-run sweep failed", { error: err });
    return 0;
  });
  const pruned = await pruneIdempotencyKeys(createDb(env.DB), now);
  const sessionsPruned = await pruneWebSessions(createDb(env.DB), now);
  const rewrapped = await rewrapStaleTeamKeys(env);
  const payloadsPruned = await pruneDeliveryPayloads(env, createDb(env.DB), now);
  const requeued = await requeueStalledDeliveries(env, now);
  const auditArchived = await archiveAuditLog(env, now);
  const any = [pruned, sessionsPruned, rewrapped, payloadsPruned, requeued, auditArchived];
  if (runsRedispatched || any.some(Boolean)) {
    log.info("housekeeping", {
      runs_redispatched: runsRedispatched,
      idempotency_keys_pruned: pruned,
      web_sessions_pruned: sessionsPruned,
      delivery_payloads_pruned: payloadsPruned,
      team_keys_rewrapped: rewrapped,
      webhook_attempts_requeued: requeued,
      audit_entries_archived: auditArchived,
    });
  }
  return {
    runsRedispatched,
    idempotencyKeysPruned: pruned,
    webSessionsPruned: sessionsPruned,
    deliveryPayloadsPruned: payloadsPruned,
    teamKeysRewrapped: rewrapped,
    webhookAttemptsRequeued: requeued,
    auditEntriesArchived: auditArchived,
  };
}
