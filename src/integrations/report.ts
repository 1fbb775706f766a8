import type { PlatformEventMessage } from "@ambit/protocol";
import { and, eq, inArray } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { runSession } from "../../durable-objects/stubs.ts";
import { integrationDeliveries, integrations, integrationThreads } from "../db/schema.ts";
import { uuidv7 } from "../lib/ids.ts";
import type { IntegrationRow } from "../services/integrations/integration-item.ts";
import { log } from "../lib/log.ts";
import { integrationRecord } from "../services/integrations/credentials.ts";
import type { Thread } from "./kind.ts";
import { kindOf } from "./registry.ts";
import { VendorRetryError } from "./vendor-retry.ts";

/** Tries of one report before it is given up (a report is a courtesy: the run goes on regardless). */
export const REPORT_ATTEMPTS = 3;
/**
 * Deliveries of one `EVENTS` message a vendor's "wait" (`VendorRetryError`) may take: below the
 * queue's `max_retries` (5), so the last try is still ours to record as given up.
 */
export const REPORT_QUEUE_ATTEMPTS = 5;
/** The longest wait a vendor's Retry-After is honoured for (a later one is waited this long). */
const MAX_RETRY_AFTER_SECONDS = 3600;
/**
 * Until when (ms) each integration's vendor asked us to wait: the run's later events, in this
 * batch or the next ones, wait too rather than overtake the one retried (their edit would come
 * before the message it edits, and Slack counts every call). Per isolate: a consumer elsewhere
 * learns it from its own first 429.
 */
const quietUntil = new Map<string, number>();

/**
 * Of `runIds`, those an integration started (that have a thread): one query for a batch of
 * events, so the runs of no integration (most) cost no query each.
 */
export async function runsWithThreads(env: Env, runIds: string[]): Promise<Set<string>> {
  if (!runIds.length) return new Set();
  const rows = await createDb(env.DB)
    .selectDistinct({ runId: integrationThreads.runId })
    .from(integrationThreads)
    .where(inArray(integrationThreads.runId, runIds));
  return new Set(rows.map((r) => r.runId));
}

/**
 * Tells the origin of a run an integration started how it is going: for a run event (one with
 * `data.run_id`), finds the thread of that run and calls its kind's `report` (keeping the thread
 * state it returns, for the next report). A failing report is tried `REPORT_ATTEMPTS` times; a
 * vendor that asks to wait (`VendorRetryError`: a 429, an outage) gets its wait instead, as
 * `retryAfterSeconds` for the consumer to retry the event's message after (delivery `attempt` of
 * `REPORT_QUEUE_ATTEMPTS`). A report given up is logged (by ids, never content), recorded in the
 * integration's delivery log (`failed`) and noted in the run's events: it never throws, and the
 * run goes on.
 */
export async function reportToIntegrations(
  env: Env,
  event: PlatformEventMessage,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  attempt = 1,
): Promise<{ reported: number; retryAfterSeconds?: number }> {
  const runId = typeof event.data.run_id === "string" ? event.data.run_id : undefined;
  if (!runId) return { reported: 0 };
  let retryAfterSeconds: number | undefined;
  const hits = await createDb(env.DB)
    .select({ thread: integrationThreads, integration: integrations })
    .from(integrationThreads)
    .innerJoin(integrations, eq(integrations.id, integrationThreads.integrationId))
    .where(and(eq(integrationThreads.runId, runId), eq(integrationThreads.teamId, event.team_id)));
  let reported = 0;
  for (const { thread, integration } of hits) {
    const kind = kindOf(integration.type);
    if (!kind?.report || !integration.enabled) continue;
    const ids = { integration_id: integration.id, run_id: runId, event_id: event.id };
    const quiet = (quietUntil.get(integration.id) ?? 0) - Date.now();
    if (quiet > 0 && attempt < REPORT_QUEUE_ATTEMPTS) {
      retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, Math.ceil(quiet / 1000));
      continue;
    }
    for (let tries = 1; tries <= REPORT_ATTEMPTS; tries++) {
      try {
        const result = await kind.report({
          env,
          integration: await integrationRecord(env, integration, kind),
          thread: {
            key: thread.threadKey,
            ...(thread.url ? { url: thread.url } : {}),
            ...(thread.state ? { state: thread.state as Thread["state"] } : {}),
          },
          event,
        });
        if (result?.state)
          await createDb(env.DB)
            .update(integrationThreads)
            .set({ state: result.state, updatedAt: Date.now() })
            .where(
              and(
                eq(integrationThreads.integrationId, thread.integrationId),
                eq(integrationThreads.threadKey, thread.threadKey),
              ),
            );
        reported++;
        break;
      } catch (err) {
        const wait = err instanceof VendorRetryError ? err.retryAfterSeconds : undefined;
        if (wait !== undefined && attempt < REPORT_QUEUE_ATTEMPTS) {
          log.warn("integration report: the vendor asks to wait; retried later", {
            ...ids,
            attempt,
            retry_after_seconds: wait,
          });
          const bounded = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(wait)));
          retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, bounded);
          quietUntil.set(integration.id, Date.now() + bounded * 1000);
          break;
        }
        if (wait !== undefined || tries === REPORT_ATTEMPTS) {
          log.error("integration report failed; given up", { ...ids, tries, attempt, error: err });
          await recordUnreported(env, { integration, runId, event, error: err });
          break;
        }
        log.warn("integration report failed; trying again", { ...ids, tries, error: err });
        await pause(250 * 2 ** tries);
      }
    }
  }
  return retryAfterSeconds ? { reported, retryAfterSeconds } : { reported };
}

/**
 * Says where people look that a run's progress could not be posted back: a `failed` row in the
 * integration's delivery log (`report.<event type>`, with the run) and a `log` warning in the
 * run's events. Best effort: a failure here is only logged.
 */
async function recordUnreported(
  env: Env,
  at: { integration: IntegrationRow; runId: string; event: PlatformEventMessage; error: unknown },
) {
  const { integration, runId, event } = at;
  const why = at.error instanceof Error ? at.error.message : String(at.error);
  const message = `The ${integration.type} integration '${integration.name}' could not post the run's ${event.type} back (${why}); the run goes on, see its page for its progress.`;
  const now = Date.now();
  try {
    await createDb(env.DB)
      .insert(integrationDeliveries)
      .values({
        id: uuidv7(now),
        teamId: integration.teamId,
        integrationId: integration.id,
        event: `report.${event.type}`,
        outcome: "failed",
        reason: message.slice(0, 2000),
        runId,
        receivedAt: now,
        processedAt: now,
      });
    await runSession(env, runId).note(
      { runId, teamId: integration.teamId },
      { level: "warning", message, source: `integration:${integration.type}` },
    );
  } catch (err) {
    log.error("integration report: recording the failure failed too", {
      run_id: runId,
      error: err,
    });
  }
}
