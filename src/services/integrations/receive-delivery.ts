import type { InboundDeliveryResponse, IntegrationDeliveryMessage } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb, type Db } from "../../db/client.ts";
import { integrationDeliveries, integrations, teamKeys } from "../../db/schema.ts";
import type { IntegrationKind } from "../../integrations/kind.ts";
import { kindOf } from "../../integrations/registry.ts";
import { AppError } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { log } from "../../lib/log.ts";
import { rateLimiter } from "../../../durable-objects/stubs.ts";
import { openCredentials } from "./credentials.ts";
import type { IntegrationRow } from "./integration-item.ts";
import { payloadKey } from "./payloads.ts";

export type InboundAnswer =
  | { status: 200 | 202; body: InboundDeliveryResponse }
  /** the kind's own answer (`IntegrationKind.reply`): a challenge, a slash command's text */
  | { status: 200; raw: { contentType: string; body: string } }
  /** a bad or missing signature, a stale timestamp: answered with an empty body */
  | { status: 401 };

/**
 * The public inbound URL (no API key: the sender's signature is the credential). In order:
 * the integration must exist (404; its uid is a random UUIDv7, so this tells a prober nothing it
 * could enumerate); a kind's `preVerify` may answer a sender's unsigned probe (a fixed reply,
 * nothing recorded); the signature is checked over the raw bytes by the kind, in constant time,
 * before anything is parsed (401, recorded as `rejected` without the unsigned sender id, so
 * forged requests can never poison deduplication); only a verified sender learns that the
 * integration is disabled (403 `integration_disabled`) or that its body is not JSON, or what the
 * kind's `parse` reads (400). A kind's `reply` may answer at once instead of the 202 (a handshake
 * it answers without recording anything, or a short text). A repeated sender id answers 200 and
 * does nothing. Otherwise the delivery row is written and the `INTEGRATIONS` queue does the work:
 * the answer does not wait for it.
 * The body size cap (413) is the app's body limit, applied before this runs.
 *
 * Senders give us seconds (Slack 3, Linear 5), and this answer shares the runtime with the queue
 * consumers doing the work, so it makes as few round trips as it can: one read (the integration
 * with its team's data key), one write that both deduplicates and records (an insert that a
 * repeated sender id turns into nothing), one queue send carrying the payload (a payload too big
 * for a queue message goes to R2 first). The consumer stores the payload in R2.
 */
export async function receiveDelivery(
  env: Env,
  input: { integrationId: string; headers: Headers; body: Uint8Array; now?: number },
): Promise<InboundAnswer> {
  const now = input.now ?? Date.now();
  const db = createDb(env.DB);
  const [hit] = await db
    .select({ row: integrations, key: { wrappedKey: teamKeys.wrappedKey, kid: teamKeys.kid } })
    .from(integrations)
    .leftJoin(teamKeys, eq(teamKeys.teamId, integrations.teamId))
    .where(eq(integrations.id, input.integrationId))
    .limit(1);
  const row = hit?.row;
  const kind = row && kindOf(row.type);
  if (!row || !kind)
    throw new AppError(
      "resource_not_found",
      `no integration '${input.integrationId}' on this server; check the inbound URL its settings show`,
    );
  // a sender's unsigned probe (the kind says which): a fixed answer, nothing recorded
  const probe = kind.preVerify?.({ headers: input.headers, body: input.body });
  if (probe) return { status: 200, raw: probe };
  const verified = await kind.verify({
    headers: input.headers,
    body: input.body,
    credentials: await openCredentials(env, row, hit.key?.wrappedKey ? hit.key : null),
    now,
  });
  if (!verified.ok) {
    if (await mayRecordForgery(env, row.id)) await recordRefusal(db, row, now, verified.reason);
    return { status: 401 };
  }
  if (!row.enabled) {
    await recordRefusal(db, row, now, "the integration is disabled", verified.event);
    throw new AppError(
      "integration_disabled",
      "this integration is disabled, so its deliveries start nothing; an admin can enable it (PATCH /api/v1/integrations/{uid} with enabled: true)",
    );
  }
  const payload = readPayload(kind, input.headers, input.body);
  if (payload === null) {
    await recordRefusal(db, row, now, "malformed body", verified.event);
    throw new AppError(
      "invalid_request",
      kind.parse
        ? "the delivery's body is not what this integration's sender posts"
        : "the delivery's body is not JSON; send a JSON body",
    );
  }
  const reply = kind.reply?.({ event: verified.event, payload });
  if (reply && !reply.record) return { status: 200, raw: reply };

  const id = uuidv7(now);
  const key = payloadKey(row.teamId, row.id, id);
  // a kind that reads its own body stores what it read, as JSON: the consumer reads every one so
  const text = kind.parse ? JSON.stringify(payload) : new TextDecoder().decode(input.body);
  const inline = fitsMessage(text);
  if (!inline)
    await env.ARTIFACTS.put(key, text, { httpMetadata: { contentType: "application/json" } });
  // the insert is the deduplication: a sender id already recorded makes it write nothing
  const inserted = await db
    .insert(integrationDeliveries)
    .values({
      id,
      teamId: row.teamId,
      integrationId: row.id,
      senderDeliveryId: verified.deliveryId,
      event: verified.event,
      outcome: "received",
      payloadKey: key,
      receivedAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: integrationDeliveries.id });
  if (!inserted.length) {
    if (!inline) await env.ARTIFACTS.delete(key);
    const first = await findBySenderId(db, row.id, verified.deliveryId);
    return { status: 200, body: { delivery_id: first ?? id, duplicate: true } };
  }
  await enqueueDelivery(
    env,
    db,
    {
      delivery_id: id,
      integration_id: row.id,
      team_id: row.teamId,
      ...(inline ? { payload: text } : {}),
    },
    key,
  );
  return reply ? { status: 200, raw: reply } : { status: 202, body: { delivery_id: id } };
}

/** Bytes a payload may take inside its queue message (a message holds at most 128 KB). */
export const INLINE_PAYLOAD_BYTES = 96 * 1024;

/** Whether the payload travels in the queue message (escaped as JSON, it must still fit). */
const fitsMessage = (text: string) =>
  text.length <= INLINE_PAYLOAD_BYTES &&
  new TextEncoder().encode(JSON.stringify(text)).length <= INLINE_PAYLOAD_BYTES;

/** The verified body as the kind reads it (JSON unless it has `parse`); null when malformed. */
function readPayload(kind: IntegrationKind, headers: Headers, body: Uint8Array): unknown | null {
  try {
    return kind.parse
      ? kind.parse({ headers, body })
      : (JSON.parse(new TextDecoder().decode(body)) as unknown);
  } catch {
    return null;
  }
}

/**
 * Hands a recorded delivery to the queue. If the queue refuses, the row and payload go again and
 * the caller answers 503: the sender's retry (same id) is then a new delivery, not a duplicate of
 * one nobody will process.
 */
export async function enqueueDelivery(
  env: Env,
  db: Db,
  message: IntegrationDeliveryMessage,
  key: string,
) {
  try {
    await env.INTEGRATIONS.send(message, { contentType: "json" });
  } catch (err) {
    log.error("integrations: the delivery could not be queued", {
      delivery_id: message.delivery_id,
      error: err,
    });
    await db.delete(integrationDeliveries).where(eq(integrationDeliveries.id, message.delivery_id));
    await env.ARTIFACTS.delete(key);
    throw new AppError(
      "resource_unavailable",
      "the delivery could not be queued for processing; send it again in a moment",
    );
  }
}

async function findBySenderId(db: Db, integrationId: string, senderId: string) {
  const [hit] = await db
    .select({ id: integrationDeliveries.id })
    .from(integrationDeliveries)
    .where(
      and(
        eq(integrationDeliveries.integrationId, integrationId),
        eq(integrationDeliveries.senderDeliveryId, senderId),
      ),
    )
    .limit(1);
  return hit?.id;
}

/** A delivery refused at the door: recorded with why, no payload, no sender id. */
/**
 * Unsigned requests recorded as `rejected`, at most, per integration and minute. Anyone who knows
 * an inbound URL can send them: past this, a forgery still gets its 401 but writes no row, so a
 * flood cannot grow the delivery log (or D1) without bound. Verified deliveries are never limited.
 */
export const FORGERIES_RECORDED_PER_MINUTE = 60;

async function mayRecordForgery(env: Env, integrationId: string): Promise<boolean> {
  const rule = {
    name: "integration-forgeries",
    limit: FORGERIES_RECORDED_PER_MINUTE,
    windowSeconds: 60,
  };
  const decision = await rateLimiter(env, rule.name, integrationId).take(rule);
  if (!decision.ok && decision.retryAfterSeconds >= 59)
    log.warn("integration: unsigned deliveries past the recording limit are not recorded", {
      integration_id: integrationId,
      limit_per_minute: FORGERIES_RECORDED_PER_MINUTE,
    });
  return decision.ok;
}

async function recordRefusal(
  db: Db,
  row: IntegrationRow,
  now: number,
  reason: string,
  event = "unverified",
) {
  await db.insert(integrationDeliveries).values({
    id: uuidv7(now),
    teamId: row.teamId,
    integrationId: row.id,
    event,
    outcome: "rejected",
    reason,
    receivedAt: now,
    processedAt: now,
  });
}
