import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import worker from "../../src/index.ts";
import { call, type Json } from "./api.ts";

export const INTEGRATIONS = "/api/v1/integrations";

/** Creates a generic webhook integration (asserting 201); `secret` is the generated one unless given. */
export async function createWebhookIntegration(key: string, body: Json = {}) {
  const res = await call("POST", INTEGRATIONS, {
    key,
    body: { type: "webhook", name: `hook-${crypto.randomUUID().slice(0, 8)}`, ...body },
  });
  expect(res.status, res.text).toBe(201);
  const secret = (res.json.generated_credentials?.secret ?? body.credentials?.secret) as string;
  return { item: res.json as Json, uid: res.json.uid as string, secret };
}

/**
 * Sends `payload` to an integration's inbound URL, signed by the independent `standardwebhooks`
 * library with `secret` (a wrong secret makes a bad signature). `at` is the signing time.
 */
export async function deliver(
  uid: string,
  secret: string,
  payload: unknown,
  opts: { id?: string; at?: Date; raw?: string; headers?: Record<string, string> } = {},
) {
  const id = opts.id ?? `msg_${crypto.randomUUID().replace(/-/g, "")}`;
  const at = opts.at ?? new Date();
  const body = opts.raw ?? JSON.stringify(payload);
  const signature = new Webhook(secret).sign(id, at, body);
  return call("POST", `${INTEGRATIONS}/${uid}/events`, {
    raw: body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
      ...opts.headers,
    },
  });
}

/** The integration's deliveries (first page, newest first), asserting 200. */
export async function deliveriesOf(key: string, uid: string, query = ""): Promise<Json[]> {
  const res = await call("GET", `${INTEGRATIONS}/${uid}/deliveries${query ? `?${query}` : ""}`, {
    key,
  });
  expect(res.status, res.text).toBe(200);
  return res.json.deliveries;
}

/** Waits until the delivery is processed (its outcome is no longer `received`), and returns it. */
export async function processed(key: string, uid: string, deliveryId: string): Promise<Json> {
  for (let i = 0; i < 200; i++) {
    const hit = (await deliveriesOf(key, uid, "limit=100")).find((d) => d.id === deliveryId);
    if (hit && hit.outcome !== "received") return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`delivery ${deliveryId} was never processed`);
}

/** Gives the INTEGRATIONS consumer a batch, as the queue would (again, late, dead-lettered). */
export async function consume(
  bodies: unknown[],
  opts: { queue?: "ambit-integrations" | "ambit-integrations-dlq"; attempts?: number } = {},
) {
  const batch = createMessageBatch(
    opts.queue ?? "ambit-integrations",
    bodies.map((body) => ({
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: opts.attempts ?? 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** Runs an integration started, from D1 (`ambit.integration` metadata). */
export async function runsOfIntegration(uid: string) {
  const { results } = await env.DB.prepare(
    "SELECT r.id, r.prompt, r.source, r.trigger_url, r.metadata, r.creator_id FROM runs r JOIN run_metadata m ON m.run_id = r.id WHERE m.key = 'ambit.integration' AND m.value = ? ORDER BY r.created_at",
  )
    .bind(uid)
    .all<{
      id: string;
      prompt: string;
      source: string;
      trigger_url: string | null;
      metadata: string;
      creator_id: string;
    }>();
  return results;
}
