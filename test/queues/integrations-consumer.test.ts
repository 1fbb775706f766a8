// The INTEGRATIONS queue consumer: exactly once under redelivery, follow-ups on a thread,
// redelivery of a stored payload, failures, and reporting back to the integration's origin.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REPORT_QUEUE_ATTEMPTS, reportToIntegrations } from "../../src/integrations/report.ts";
import { VendorRetryError } from "../../src/integrations/vendor-retry.ts";
import { webhookKind } from "../../src/integrations/webhook/index.ts";
import { runHousekeeping } from "../../src/cron/housekeeping.ts";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { eventsOf } from "../helpers/runs.ts";
import {
  consume,
  createWebhookIntegration,
  deliver,
  deliveriesOf,
  INTEGRATIONS,
  processed,
  runsOfIntegration,
} from "../helpers/integrations.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(() => {
  vi.restoreAllMocks();
  delete (webhookKind as { report?: unknown }).report;
});

/** A delivery received and processed through the real queue; returns its message and row. */
async function deliveredRun(key: string, teamId: string, body: Record<string, unknown> = {}) {
  const { uid, secret } = await createWebhookIntegration(key, body);
  const res = await deliver(uid, secret, { task: "fix it" });
  expect(res.status, res.text).toBe(202);
  const row = await processed(key, uid, res.json.delivery_id);
  const message = { delivery_id: row.id, integration_id: uid, team_id: teamId };
  return { uid, secret, row, message };
}

const setOutcome = (id: string, outcome: string) =>
  env.DB.prepare(
    "UPDATE integration_deliveries SET outcome = ?, run_id = NULL, processed_at = NULL WHERE id = ?",
  )
    .bind(outcome, id)
    .run();

describe("INTEGRATIONS consumer", () => {
  it("a message delivered again, at once or after a crash half-way, creates the run once", async () => {
    const t = await newTeam();
    const { uid, row, message } = await deliveredRun(t.key, t.teamId);
    expect(row.outcome).toBe("run_created");
    // redelivered after it finished: skipped
    const again = await consume([message, message]);
    expect(again.explicitAcks).toHaveLength(2);
    // as if the consumer died after createRun but before writing the outcome: racing redeliveries
    await setOutcome(row.id, "received");
    const results = await Promise.all([consume([message]), consume([message]), consume([message])]);
    expect(results.reduce((n, r) => n + r.retryMessages.length, 0)).toBeLessThanOrEqual(2);
    await consume([message], { attempts: 3 });
    const [after] = await deliveriesOf(t.key, uid);
    expect(after).toMatchObject({ outcome: "run_created", run_id: row.run_id });
    expect((await runsOfIntegration(uid)).map((r) => r.id)).toEqual([row.run_id]);
  });

  it("a delivery on a thread that has a run is a follow-up to that run", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "ticket.id" },
      prompt_template: "{{payload.text}}",
    });
    const first = await deliver(uid, secret, { ticket: { id: "T-1" }, text: "fix the login" });
    const run = await processed(t.key, uid, first.json.delivery_id);
    expect(run).toMatchObject({ outcome: "run_created", thread_key: "webhook:T-1" });
    const second = await deliver(uid, secret, { ticket: { id: "T-1" }, text: "and the logout" });
    expect(await processed(t.key, uid, second.json.delivery_id)).toMatchObject({
      outcome: "followup_sent",
      run_id: run.run_id,
    });
    const other = await deliver(uid, secret, { ticket: { id: "T-2" }, text: "another" });
    expect((await processed(t.key, uid, other.json.delivery_id)).outcome).toBe("run_created");
    expect(await runsOfIntegration(uid)).toHaveLength(2);
    const events = (await eventsOf({ runId: run.run_id, teamId: t.teamId }))!;
    const followups = events.filter((e) => e.type === "followup.received");
    expect(followups.map((e) => e.payload)).toEqual([
      expect.objectContaining({ message: "and the logout" }),
    ]);
  });

  it("redeliver processes the stored payload again as a new delivery linked to the original (admin)", async () => {
    const t = await newTeam();
    const { uid, row } = await deliveredRun(t.key, t.teamId);
    const res = await call("POST", `${INTEGRATIONS}/${uid}/deliveries/${row.id}/redeliver`, {
      key: t.key,
    });
    expect(res.status, res.text).toBe(202);
    expect(res.json).toMatchObject({
      outcome: "received",
      redelivery_of: row.id,
      delivery_id: null,
    });
    const again = await processed(t.key, uid, res.json.id);
    expect(again.outcome).toBe("run_created");
    expect(again.run_id).not.toBe(row.run_id);
    expect(await runsOfIntegration(uid)).toHaveLength(2);
    // a rejected delivery has no payload to process again
    await deliver(uid, `whsec_${btoa("w".repeat(32))}`, {});
    const rejected = (await deliveriesOf(t.key, uid, "outcome=rejected"))[0];
    const refused = await call(
      "POST",
      `${INTEGRATIONS}/${uid}/deliveries/${rejected.id}/redeliver`,
      { key: t.key },
    );
    expectProblem(refused, 422, "operation_not_supported");
  });

  it("runs act as the admin who last configured the integration", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const { uid, secret } = await createWebhookIntegration(t.key);
    await call("PATCH", `${INTEGRATIONS}/${uid}`, { key: admin.key, body: { name: "taken over" } });
    const res = await deliver(uid, secret, { task: "x" });
    await processed(t.key, uid, res.json.delivery_id);
    expect((await runsOfIntegration(uid))[0].creator_id).toBe(admin.userId);
  });

  it("a refusal is failed with the error and emits integration.delivery_failed; so is a dead letter", async () => {
    const t = await newTeam();
    const sent = vi.spyOn(env.EVENTS, "send");
    const { uid, secret } = await createWebhookIntegration(t.key, {
      run_defaults: { environment_id: "no-such-environment" },
    });
    const res = await deliver(uid, secret, { task: "x" });
    const row = await processed(t.key, uid, res.json.delivery_id);
    expect(row.outcome).toBe("failed");
    expect(row.reason).toContain("no-such-environment");
    expect(await runsOfIntegration(uid)).toHaveLength(0);
    // a message that kept failing: the dead-letter consumer records it
    const fresh = await createWebhookIntegration(t.key);
    await env.DB.prepare("UPDATE integrations SET enabled = 0 WHERE id = ?").bind(fresh.uid).run();
    await env.DB.prepare(
      "INSERT INTO integration_deliveries (id, team_id, integration_id, event, outcome, received_at) VALUES (?, ?, ?, 'webhook', 'received', ?)",
    )
      .bind("dlq-1", t.teamId, fresh.uid, Date.now())
      .run();
    const msg = { delivery_id: "dlq-1", integration_id: fresh.uid, team_id: t.teamId };
    await consume([msg], { queue: "ambit-integrations-dlq" });
    expect((await deliveriesOf(t.key, fresh.uid))[0].outcome).toBe("failed");
    const events = sent.mock.calls.map(
      ([m]) => m as { type: string; data: Record<string, unknown> },
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "integration.delivery_failed",
        data: expect.objectContaining({ integration_id: uid, delivery_id: row.id }),
      }),
    );
    expect(events.map((e) => e.data.delivery_id)).toContain("dlq-1");
  });

  it("reportToIntegrations calls the kind's report with the run's thread; failures are retried, then dropped", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "id", url_path: "url" },
    });
    const res = await deliver(uid, secret, { id: "7", url: "https://example.test/7" });
    const row = await processed(t.key, uid, res.json.delivery_id);
    const calls: unknown[] = [];
    (webhookKind as { report?: unknown }).report = async (input: unknown) => {
      calls.push(input);
      if (calls.length < 3) throw new Error("origin down");
      return { state: { comment_id: 99 } };
    };
    const event = {
      id: "evt_1",
      team_id: t.teamId,
      type: "run.completed" as const,
      at: Date.now(),
      data: { run_id: row.run_id, state: "SUCCEEDED" },
    };
    expect(await reportToIntegrations(env, event, async () => {})).toEqual({ reported: 1 });
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatchObject({
      thread: { key: "webhook:7", url: "https://example.test/7" },
      integration: { id: uid, credentials: { secret } },
      event,
    });
    // the state it returned comes back with the thread next time
    expect(await reportToIntegrations(env, event, async () => {})).toEqual({ reported: 1 });
    expect(calls[3]).toMatchObject({ thread: { key: "webhook:7", state: { comment_id: 99 } } });
    // always failing: given up without throwing; another team's event finds nothing
    (webhookKind as { report?: unknown }).report = async () => {
      throw new Error("down");
    };
    expect(await reportToIntegrations(env, event, async () => {})).toEqual({ reported: 0 });
    const other = await newTeam();
    expect(
      await reportToIntegrations(env, { ...event, team_id: other.teamId }, async () => {}),
    ).toEqual({ reported: 0 });
  });

  it("a vendor's 429 asks the queue to retry after Retry-After; at the last attempt the delivery log and the run's events say so", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "id", url_path: "url" },
    });
    const res = await deliver(uid, secret, { id: "8", url: "https://example.test/8" });
    const row = await processed(t.key, uid, res.json.delivery_id);
    (webhookKind as { report?: unknown }).report = async () => {
      throw new VendorRetryError(42, "Slack's chat.postMessage answered 429");
    };
    const event = {
      id: "evt_2",
      team_id: t.teamId,
      type: "run.state_changed" as const,
      at: Date.now(),
      data: { run_id: row.run_id, state: "INPROGRESS" },
    };
    const pause = vi.fn(async () => {});
    expect(await reportToIntegrations(env, event, pause, 1)).toEqual({
      reported: 0,
      retryAfterSeconds: 42,
    });
    expect(pause).not.toHaveBeenCalled(); // the queue waits, not the consumer
    expect((await deliveriesOf(t.key, uid)).map((d) => d.event)).not.toContain(
      "report.run.state_changed",
    );
    // the last attempt: given up, and said where people look
    expect(await reportToIntegrations(env, event, pause, REPORT_QUEUE_ATTEMPTS)).toEqual({
      reported: 0,
    });
    const failed = (await deliveriesOf(t.key, uid)).find(
      (d) => d.event === "report.run.state_changed",
    );
    expect(failed).toMatchObject({ outcome: "failed", run_id: row.run_id });
    expect(failed?.reason).toContain("429");
    const logs = (await eventsOf({ runId: row.run_id, teamId: t.teamId }))?.filter(
      (e) => e.type === "log",
    );
    expect(logs).toHaveLength(1);
    expect(logs?.[0].payload).toMatchObject({ level: "warning", source: "integration:webhook" });
  });

  it("housekeeping deletes payloads older than 30 days and keeps the delivery row", async () => {
    const t = await newTeam();
    const { uid, row } = await deliveredRun(t.key, t.teamId);
    const key = `integrations/${t.teamId}/${uid}/${row.id}`;
    expect(await env.ARTIFACTS.head(key)).not.toBeNull();
    await env.DB.prepare("UPDATE integration_deliveries SET received_at = ? WHERE id = ?")
      .bind(Date.now() - 31 * 24 * 3_600_000, row.id)
      .run();
    await runHousekeeping(env, Date.now());
    expect(await env.ARTIFACTS.head(key)).toBeNull();
    const [after] = await deliveriesOf(t.key, uid);
    expect(after).toMatchObject({ id: row.id, outcome: "run_created", payload_available: false });
  });

  it("a client cannot set a run's trigger_url", async () => {
    const t = await newTeam();
    const res = await call("POST", "/api/v1/agent/runs", {
      key: t.key,
      body: { prompt: "x", trigger_url: "https://evil.example" },
    });
    expect(res.status).toBe(200);
    const item = await call("GET", `/api/v1/agent/runs/${res.json.run_id}`, { key: t.key });
    expect(item.json.trigger_url).toBeUndefined();
  });
});
