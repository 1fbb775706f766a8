import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { expect, inject } from "vitest";
import worker from "../../src/index.ts";
import type { RecordedCall, ScriptedAnswer } from "../fakes/webhook-receiver.ts";
import { call, type Json } from "./api.ts";
import { eventually } from "./hosts.ts";

export const WEBHOOKS = "/api/v1/webhooks";

/** An endpoint of its own on the tests' receiver (test/fakes/webhook-receiver.ts). */
export async function receiverEndpoint(answers: ScriptedAnswer[] = []) {
  const base = inject("webhookReceiverUrl");
  const name = crypto.randomUUID();
  const put = await fetch(`${base}/script/${name}`, {
    method: "PUT",
    body: JSON.stringify(answers),
  });
  expect(put.status).toBe(204);
  return {
    url: `${base}/hooks/${name}`,
    calls: async () => (await (await fetch(`${base}/calls/${name}`)).json()) as RecordedCall[],
  };
}

/** Creates a webhook (asserting 201); answers the create response, secret included. */
export async function createWebhook(key: string, body: Json): Promise<Json> {
  const res = await call("POST", WEBHOOKS, { key, body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

export async function deliveriesOf(key: string, uid: string, query = ""): Promise<Json[]> {
  const res = await call("GET", `${WEBHOOKS}/${uid}/deliveries${query}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json.deliveries;
}

/** Waits until the webhook has a delivery for which `pred` holds. */
export function untilDelivery(key: string, uid: string, pred: (d: Json) => boolean, ms = 10_000) {
  return eventually(
    "a webhook delivery",
    async () => (await deliveriesOf(key, uid)).find(pred),
    ms,
  );
}

/** Verifies a recorded call with the independent `standardwebhooks` library; answers the body. */
export function verified(secret: string, c: RecordedCall): Json {
  return new Webhook(secret).verify(c.body, c.headers) as Json;
}

/** Hands messages to the Worker's queue handler as the named queue would. */
export async function deliverToQueue(queue: string, bodies: unknown[], workerEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv);
  return getQueueResult(batch, ctx);
}
