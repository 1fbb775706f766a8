import type { AssignedSecret } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { integrations, integrationThreads } from "../db/schema.ts";
import { log } from "../lib/log.ts";
import { integrationRecord } from "../services/integrations/credentials.ts";
import { kindOf } from "./registry.ts";

/**
 * The secrets the integration that started `runId` gives it (its kind's `runSecrets`: GitHub's
 * token), for the run's assignment. The run's thread row names the integration (it is written in
 * the run's creation batch). A disabled integration gives nothing; one whose credentials fail
 * (GitHub refused to mint a token) is logged by ids and gives nothing: the run still starts, with
 * the team's secrets.
 */
export async function integrationRunSecrets(
  env: Env,
  teamId: string,
  runId: string,
): Promise<AssignedSecret[]> {
  const hits = await createDb(env.DB)
    .select({ thread: integrationThreads, integration: integrations })
    .from(integrationThreads)
    .innerJoin(integrations, eq(integrations.id, integrationThreads.integrationId))
    .where(and(eq(integrationThreads.runId, runId), eq(integrationThreads.teamId, teamId)));
  const out: AssignedSecret[] = [];
  for (const { thread, integration } of hits) {
    const kind = kindOf(integration.type);
    if (!kind?.runSecrets || !integration.enabled) continue;
    try {
      out.push(
        ...(await kind.runSecrets({
          env,
          integration: await integrationRecord(env, integration, kind),
          thread: {
            key: thread.threadKey,
            ...(thread.state ? { state: thread.state as Record<string, unknown> } : {}),
          },
        })),
      );
    } catch (err) {
      log.warn("integration credentials for a run could not be made; it goes without", {
        integration_id: integration.id,
        run_id: runId,
        error: err,
      });
    }
  }
  return out;
}
