import type { PlatformEventMessage } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { integrations, integrationThreads } from "../db/schema.ts";
import { log } from "../lib/log.ts";
import { integrationRecord } from "../services/integrations/credentials.ts";
import type { Thread } from "./kind.ts";
import { kindOf } from "./registry.ts";

/** Tries of one report before it is given up (a report is a courtesy: the run goes on regardless). */
export const REPORT_ATTEMPTS = 3;

/**
 * Tells the origin of a run an integration started how it is going: for a run event (one with
 * `data.run_id`), finds the thread of that run and calls its kind's `report` (keeping the thread
 * state it returns, for the next report). A failing report is
 * tried `REPORT_ATTEMPTS` times, then logged (by ids, never content) and dropped: it never throws,
 * so the `EVENTS` consumer that calls it is not held up by a slow or broken origin.
 */
export async function reportToIntegrations(
  env: Env,
  event: PlatformEventMessage,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<{ reported: number }> {
  const runId = typeof event.data.run_id === "string" ? event.data.run_id : undefined;
  if (!runId) return { reported: 0 };
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
    for (let attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
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
        if (attempt === REPORT_ATTEMPTS) {
          log.error("integration report failed; given up", {
            ...ids,
            attempts: attempt,
            error: err,
          });
          break;
        }
        log.warn("integration report failed; trying again", { ...ids, attempt, error: err });
        await pause(250 * 2 ** attempt);
      }
    }
  }
  return { reported };
}
