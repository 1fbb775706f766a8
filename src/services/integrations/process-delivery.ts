import {
  type AmbientAgentConfig,
  type DeliveryOutcome,
  type IntegrationDeliveryMessage,
  RunAgentRequest,
} from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb, type Db } from "../../db/client.ts";
import { asStatement } from "../../db/statements.ts";
import { integrationDeliveries, integrations } from "../../db/schema.ts";
import type { Decision, Thread } from "../../integrations/kind.ts";
import { kindOf } from "../../integrations/registry.ts";
import { threadRunId, upsertThread } from "../../integrations/threads.ts";
import { AppError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { log } from "../../lib/log.ts";
import { emitPlatformEvent } from "../../lib/platform-events.ts";
import type { Ctx, IdempotencyClaim } from "../context.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyStatement,
  releaseIdempotencyKey,
  sealResponse,
} from "../idempotency.ts";
import { recordAuditSafely } from "../../db/audit-log.ts";
import { createRun } from "../runs/create-run.ts";
import { cancelRun } from "../runs/cancel-run.ts";
import { followupRun } from "../runs/followup-run.ts";
import { artifactInsert } from "../artifacts.ts";
import { integrationRecord, parseWith } from "./credentials.ts";
import type { DeliveryRow, IntegrationRow } from "./integration-item.ts";
import { integrationActor, memberActor } from "./integration-actor.ts";

type Result = {
  outcome: Exclude<DeliveryOutcome, "received" | "rejected">;
  runId?: string;
  reason?: string;
};
export type ProcessOutcome = Result | { outcome: "skipped" };

/**
 * Processes one recorded delivery (the `INTEGRATIONS` queue consumer): the kind decides, then a
 * run is created, a follow-up sent, or the delivery ignored, and the row says which. Exactly once
 * under queue redelivery: a row no longer `received` is skipped, and the work itself is claimed
 * as an idempotency key completed in the same batch as its effect (createRun's own batch for a
 * run), so a consumer that died half-way is finished by the next without doing it twice. A
 * refusal (`AppError`: a bad configuration, an actor who lost access) is `failed` at once; any
 * other error throws, so the queue retries (the dead-letter queue then records `failed`).
 */
export async function processDelivery(
  env: Env,
  msg: IntegrationDeliveryMessage,
): Promise<ProcessOutcome> {
  const db = createDb(env.DB);
  const [hit] = await db
    .select({ delivery: integrationDeliveries, integration: integrations })
    .from(integrationDeliveries)
    .innerJoin(integrations, eq(integrations.id, integrationDeliveries.integrationId))
    .where(
      and(
        eq(integrationDeliveries.id, msg.delivery_id),
        eq(integrationDeliveries.teamId, msg.team_id),
      ),
    )
    .limit(1);
  if (hit?.delivery.outcome !== "received") return { outcome: "skipped" };
  const { delivery, integration } = hit;
  const kind = kindOf(integration.type);
  if (!integration.enabled || !kind) {
    const reason = !kind
      ? `not permitted: this server no longer runs '${integration.type}' integrations`
      : "not permitted: the integration was disabled before the delivery was processed";
    return finish(db, delivery, { outcome: "ignored", reason });
  }

  // a racing consumer holding the claim makes this throw `conflict`: the queue retries later
  const claimed = await claimIdempotencyKey(db, {
    scope: `integrations:${delivery.teamId}`,
    key: `delivery:${delivery.id}`,
    requestHash: await sha256Hex(delivery.id),
  });
  if ("replay" in claimed)
    return finish(db, delivery, replayed(claimed.replay.body), delivery.thread as Thread | null);
  const claim = claimed.claim;
  try {
    const text = await payloadOf(env, delivery, msg);
    const decision = await kind.decide({
      env,
      integration: await integrationRecord(env, integration, kind),
      delivery: {
        id: delivery.id,
        ...(delivery.senderDeliveryId ? { senderId: delivery.senderDeliveryId } : {}),
        event: delivery.event,
        payload: JSON.parse(text),
        receivedAt: delivery.receivedAt,
      },
    });
    return await act(env, db, { delivery, integration, claim }, decision);
  } catch (err) {
    if (!claim.completed) await releaseIdempotencyKey(db, claim);
    if (!(err instanceof AppError)) throw err;
    return recordFailure(env, delivery, err.message);
  }
}

/**
 * The delivery's payload: carried by its message (then kept in R2 now, for a redelivery and for
 * as long as payloads are kept), else read from R2.
 */
async function payloadOf(env: Env, delivery: DeliveryRow, msg: IntegrationDeliveryMessage) {
  if (msg.payload !== undefined) {
    if (delivery.payloadKey) await storePayload(env, delivery.payloadKey, msg.payload);
    return msg.payload;
  }
  const stored = delivery.payloadKey ? await env.ARTIFACTS.get(delivery.payloadKey) : null;
  if (!stored)
    throw new AppError("operation_not_supported", "the delivery's payload is no longer stored");
  return stored.text();
}

/** Keeps a payload a message carried in R2, where redelivery reads it. */
export const storePayload = (env: Env, key: string, text: string) =>
  env.ARTIFACTS.put(key, text, { httpMetadata: { contentType: "application/json" } });

type Work = { delivery: DeliveryRow; integration: IntegrationRow; claim: IdempotencyClaim };

async function act(env: Env, db: Db, w: Work, decision: Decision): Promise<Result> {
  if (decision.kind === "ignore") {
    const result: Result = { outcome: "ignored", reason: decision.reason };
    return finish(db, w.delivery, result, null, w.claim);
  }
  if (decision.kind === "disable") {
    // the sender revoked us: nothing it sends can be acted on until an admin sets it up again
    await db
      .update(integrations)
      .set({ enabled: false, updatedAt: Date.now() })
      .where(
        and(eq(integrations.id, w.integration.id), eq(integrations.teamId, w.integration.teamId)),
      );
    log.warn("integration disabled by its sender", {
      integrationId: w.integration.id,
      reason: decision.reason,
    });
    const result: Result = {
      outcome: "ignored",
      reason: `integration disabled: ${decision.reason}`,
    };
    return finish(db, w.delivery, result, null, w.claim);
  }
  const actAs = decision.actAs;
  const ctx: Ctx = {
    teamId: w.integration.teamId,
    actor: actAs
      ? await memberActor(db, w.integration, actAs)
      : await integrationActor(db, w.integration),
    db,
    env,
    requestId: `integration:${w.delivery.id}`,
    baseUrl: "",
  };
  if (decision.kind === "cancel") return cancelFor(ctx, w, decision);
  if (decision.kind === "followup") {
    const runId = await threadRunId(env, w.integration.id, decision.thread.key);
    if (!runId) {
      const result: Result = { outcome: "ignored", reason: "no run on this thread to follow up" };
      return finish(db, w.delivery, result, null, w.claim);
    }
    await followupRun({ ctx, runId, input: { message: decision.message } });
    await recordByIntegration(env, w, "run.followup", runId);
    const result: Result = { outcome: "followup_sent", runId };
    return finish(db, w.delivery, result, decision.thread, w.claim);
  }
  // the thread is kept first: a consumer finishing after a crash past createRun finds it here
  await db
    .update(integrationDeliveries)
    .set({ thread: decision.thread })
    .where(eq(integrationDeliveries.id, w.delivery.id));
  const request = parseWith(
    RunAgentRequest,
    {
      ...decision.request,
      metadata: {
        ...decision.request.metadata,
        "ambit.integration": w.integration.id,
        "ambit.integration_delivery": w.delivery.id,
      },
    },
    "request",
  );
  const { run_id } = await createRun({
    ctx: { ...ctx, idempotency: w.claim },
    input: {
      request,
      source: decision.source,
      triggerConfig: {
        ...(w.integration.runDefaults as AmbientAgentConfig),
        ...decision.triggerConfig,
      },
      triggerUrl: decision.thread.url,
      // the thread points at the run from its first moment: its `run.created` report, and the
      // assignment that gives it the integration's credentials, look the run's thread up
      alsoWrite: (runId, now) => [
        asStatement(
          db,
          upsertThread(db, {
            teamId: w.integration.teamId,
            integrationId: w.integration.id,
            runId,
            thread: decision.thread,
            now,
          }),
        ),
        // the run's artifacts from its first moment (a Linear issue), written with it
        ...(decision.artifacts ?? []).map((a) =>
          asStatement(
            db,
            artifactInsert(db, {
              teamId: w.integration.teamId,
              runId,
              type: a.artifact_type,
              data: a.data,
              createdAt: now,
            }),
          ),
        ),
      ],
    },
  });
  await recordByIntegration(env, w, "run.create", run_id);
  // the thread was written with the run (writing it again here would drop the state a report
  // may have kept meanwhile, e.g. its comment's id)
  return finish(db, w.delivery, { outcome: "run_created", runId: run_id });
}

/** Cancels the thread's run as the member who asked, if they may; else tells them, and `ignored`. */
async function cancelFor(
  ctx: Ctx,
  w: Work,
  decision: Extract<Decision, { kind: "cancel" }>,
): Promise<Result> {
  const runId = await threadRunId(ctx.env, w.integration.id, decision.thread.key);
  let refusal = runId ? null : "no run on this thread to cancel";
  if (runId)
    try {
      await cancelRun({ ctx, runId });
      return finish(ctx.db, w.delivery, { outcome: "run_cancelled", runId }, null, w.claim);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      refusal = err.message;
    }
  await decision.refused?.(`Not cancelled: ${refusal}`);
  const result: Result = { outcome: "ignored", reason: `not permitted: ${refusal}` };
  return finish(ctx.db, w.delivery, result, null, w.claim);
}
/** The audit entry of what a delivery did, with the integration as its actor. */
const recordByIntegration = (env: Env, w: Work, action: string, runId: string) =>
  recordAuditSafely(env, {
    teamId: w.integration.teamId,
    actor: { type: "integration", id: w.integration.id, name: w.integration.name },
    action,
    target: { type: "run", id: runId },
    changes: { delivery: { after: w.delivery.id } },
    requestId: `integration:${w.delivery.id}`,
  });

/** What a completed claim stored: our own result, or createRun's answer (a run was created). */
function replayed(body: string): Result {
  const stored = JSON.parse(body) as Partial<Result> & { run_id?: string };
  if (stored.outcome) return stored as Result;
  return { outcome: "run_created", runId: stored.run_id };
}

/**
 * Writes the delivery's outcome (once: only over `received`) and points its thread at the run;
 * with `claim`, completes it in the same batch (storing the result for a consumer that retries).
 */
async function finish(
  db: Db,
  delivery: DeliveryRow,
  result: Result,
  thread?: Thread | null,
  claim?: IdempotencyClaim,
): Promise<Result> {
  const now = Date.now();
  const sealed =
    claim && (await sealResponse(claim, { status: 200, body: JSON.stringify(result) }));
  await db.batch([
    db
      .update(integrationDeliveries)
      .set({
        outcome: result.outcome,
        reason: result.reason ?? null,
        runId: result.runId ?? null,
        processedAt: now,
      })
      .where(
        and(
          eq(integrationDeliveries.id, delivery.id),
          eq(integrationDeliveries.outcome, "received"),
        ),
      ),
    ...(thread && result.runId
      ? [
          upsertThread(db, {
            teamId: delivery.teamId,
            integrationId: delivery.integrationId,
            runId: result.runId,
            thread,
            now,
          }),
        ]
      : []),
    ...(claim && sealed ? [completeIdempotencyStatement(db, claim, sealed)] : []),
  ]);
  if (claim) claim.completed = true;
  return result;
}

/** Records `failed` with the error (never a secret: messages name things, not values) and says so as a platform event. */
export async function recordFailure(
  env: Env,
  delivery: Pick<DeliveryRow, "id" | "teamId" | "integrationId">,
  error: string,
): Promise<Result> {
  const db = createDb(env.DB);
  const updated = await db
    .update(integrationDeliveries)
    .set({ outcome: "failed", reason: error.slice(0, 2000), processedAt: Date.now() })
    .where(
      and(eq(integrationDeliveries.id, delivery.id), eq(integrationDeliveries.outcome, "received")),
    )
    .returning({ id: integrationDeliveries.id });
  if (updated.length)
    await emitPlatformEvent(env, {
      team_id: delivery.teamId,
      type: "integration.delivery_failed",
      data: { integration_id: delivery.integrationId, delivery_id: delivery.id, error },
    });
  return { outcome: "failed", reason: error };
}
