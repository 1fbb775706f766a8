// Outbound webhooks end to end in workerd: real EVENTS and WEBHOOK_SENDS queues, D1 and the run's
// Durable Object, sending to a recording receiver in Node; signatures checked with the
// independent `standardwebhooks` library.
import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { call, newTeam } from "../helpers/api.ts";
import { eventually, sleep } from "../helpers/hosts.ts";
import { advance, createRun, HOST_ACTOR, sessionOf } from "../helpers/runs.ts";
import {
  createWebhook,
  deliverToQueue,
  deliveriesOf,
  receiverEndpoint,
  untilDelivery,
  verified,
  WEBHOOKS,
} from "../helpers/webhooks.ts";

vi.setConfig({ testTimeout: 60_000 });

const SENDS = "ambit-webhook-sends";
const DAY = 86_400_000;

describe("outbound webhooks", () => {
  it("a run's creation reaches the endpoint signed per Standard Webhooks, recorded as a delivery", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    const runId = await createRun(t.key, { prompt: "Fix the flaky test", title: "Flaky" });
    const [c] = await eventually("the receiver's call", async () => {
      const calls = await receiver.calls();
      return calls.length ? calls : null;
    });
    const payload = verified(hook.secret, c);
    expect(payload).toMatchObject({
      type: "run.created",
      data: { run_id: runId, state: "QUEUED", source: "API", title: "Flaky" },
    });
    expect(Date.parse(payload.timestamp)).not.toBeNaN();
    expect(c.headers["webhook-id"]).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(c.headers["content-type"]).toBe("application/json");
    const delivery = await untilDelivery(t.key, hook.uid, (d) => d.status === "succeeded");
    expect(delivery).toMatchObject({
      event_id: c.headers["webhook-id"],
      event_type: "run.created",
      attempt_count: 1,
      next_attempt_at: null,
      payload,
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ http_status: 200, error: null, response_body: "ok" }),
    ]);
    // another endpoint's signature does not verify: the secret is the endpoint's own
    const other = await createWebhook(t.key, { url: receiver.url, event_types: ["run.followup"] });
    expect(() => verified(other.secret, c)).toThrow();
  });

  it("an endpoint that fails twice then succeeds receives the event once more, with the same webhook-id", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint([
      { status: 500, body: "down" },
      { status: 503, body: "still down" },
    ]);
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    await createRun(t.key);
    // the first attempt (queued by the EVENTS consumer) fails: the next is due 5 s later
    const first = await untilDelivery(
      t.key,
      hook.uid,
      (d) => d.attempt_count === 1 && d.status === "failed",
    );
    const due = Date.parse(first.next_attempt_at) - Date.parse(first.attempts[0].at);
    expect(due).toBeGreaterThanOrEqual(5_000);
    expect(due).toBeLessThan(6_000);
    // attempt 2 (made here rather than waiting on the queue's delay) fails too: 5 minutes
    const msg = (attempt: number) => ({ delivery_id: first.id, team_id: t.teamId, attempt });
    await deliverToQueue(SENDS, [msg(1)]);
    const [second] = await deliveriesOf(t.key, hook.uid);
    expect(second).toMatchObject({ status: "failed", attempt_count: 2 });
    expect(
      Date.parse(second.next_attempt_at) - Date.parse(second.attempts[0].at),
    ).toBeGreaterThanOrEqual(300_000);
    // attempt 3 succeeds; the attempts already made, delivered again, send nothing
    await deliverToQueue(SENDS, [msg(2), msg(2), msg(1), msg(0)]);
    // the queue's own delayed message for attempt 2 comes 5 s after the first failure: it is stale
    await sleep(Math.max(0, Date.parse(first.next_attempt_at) + 2_500 - Date.now()));
    const calls = await receiver.calls();
    expect(calls).toHaveLength(3);
    const ids = new Set(calls.map((c) => c.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    const stamps = calls.map((c) => Number(c.headers["webhook-timestamp"]));
    expect([...stamps].sort()).toEqual(stamps);
    for (const c of calls) expect(verified(hook.secret, c).type).toBe("run.created");
    const [done] = await deliveriesOf(t.key, hook.uid);
    expect(done).toMatchObject({ status: "succeeded", attempt_count: 3, next_attempt_at: null });
    expect(done.attempts.map((a: { http_status: number }) => a.http_status)).toEqual([
      200, 503, 500,
    ]);
    expect(done.attempts[2].response_body).toBe("down");
  });

  it("an EVENTS message delivered again sends nothing twice", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, {
      url: receiver.url,
      event_types: ["schedule.spawn_failed"],
    });
    const event = {
      id: `evt_${uuidv7()}`,
      team_id: t.teamId,
      type: "schedule.spawn_failed",
      at: Date.now(),
      data: { schedule_id: "sch_1", error: "the owner left the team" },
    };
    const results = await Promise.all([
      deliverToQueue("ambit-events", [event, event]),
      deliverToQueue("ambit-events", [event]),
    ]);
    await deliverToQueue("ambit-events", [event]);
    for (const r of results) expect(r.explicitAcks.length).toBeGreaterThan(0);
    await untilDelivery(t.key, hook.uid, (d) => d.status === "succeeded");
    await sleep(1_500); // any duplicate send would have happened by now
    expect(await receiver.calls()).toHaveLength(1);
    expect(await deliveriesOf(t.key, hook.uid)).toHaveLength(1);
    // another team's event reaches none of this team's webhooks
    await deliverToQueue("ambit-events", [{ ...event, id: `evt_${uuidv7()}`, team_id: "other" }]);
    expect(await deliveriesOf(t.key, hook.uid)).toHaveLength(1);
  });

  it("a webhook hears of what happened after it was made, not of an event from before it", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, {
      url: receiver.url,
      event_types: ["schedule.spawn_failed"],
    });
    const made = Date.parse(hook.created_at);
    const event = (at: number) => ({
      id: `evt_${uuidv7()}`,
      team_id: t.teamId,
      type: "schedule.spawn_failed",
      at,
      data: { schedule_id: "sch_1", error: "the owner left the team" },
    });
    const before = event(made - 1);
    const after = event(made);
    await deliverToQueue("ambit-events", [before, after]);
    await untilDelivery(t.key, hook.uid, (d) => d.status === "succeeded");
    await sleep(500);
    expect((await deliveriesOf(t.key, hook.uid)).map((d) => d.event_id)).toEqual([after.id]);
  });

  it("an EVENTS message of several events delivers each once, delivered again or not", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, {
      url: receiver.url,
      event_types: ["schedule.spawn_failed"],
    });
    const event = (n: number) => ({
      id: `evt_${uuidv7()}`,
      team_id: t.teamId,
      type: "schedule.spawn_failed",
      at: Date.now() + n,
      data: { schedule_id: `sch_${n}`, error: "the owner left the team" },
    });
    const packed = { events: [event(1), event(2)] };
    const first = await deliverToQueue("ambit-events", [packed]);
    expect(first.explicitAcks).toHaveLength(1);
    await deliverToQueue("ambit-events", [packed]);
    await eventually("both deliveries succeeded", async () => {
      const ds = await deliveriesOf(t.key, hook.uid);
      return ds.length === 2 && ds.every((d) => d.status === "succeeded");
    });
    await sleep(1_500); // any duplicate send would have happened by now
    const ids = (await receiver.calls()).map((c) => c.headers["webhook-id"]).sort();
    expect(ids).toEqual(packed.events.map((e) => e.id).sort());
    // a message that is neither one event nor several is dropped (acked), not retried forever
    const odd = await deliverToQueue("ambit-events", [{ events: [] }]);
    expect(odd.explicitAcks).toHaveLength(1);
  });

  it("410 Gone disables the endpoint and ends the delivery", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint([{ status: 410, body: "gone" }]);
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    const test = await call("POST", `${WEBHOOKS}/${hook.uid}/test`, { key: t.key });
    expect(test.status, test.text).toBe(202);
    expect(test.json).toMatchObject({ event_type: "webhook.test", status: "pending" });
    const d = await untilDelivery(t.key, hook.uid, (x) => x.status === "gave_up");
    expect(d.attempts[0].http_status).toBe(410);
    const after = await call("GET", `${WEBHOOKS}/${hook.uid}`, { key: t.key });
    expect(after.json.enabled).toBe(false);
    expect(after.json.disabled_reason).toMatch(/410 Gone/);
    // a disabled endpoint hears of no events
    await createRun(t.key);
    await sleep(1_500);
    expect(await receiver.calls()).toHaveLength(1);
    // enabling it again clears the reason
    const enabled = await call("PATCH", `${WEBHOOKS}/${hook.uid}`, {
      key: t.key,
      body: { enabled: true },
    });
    expect(enabled.json).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it("an endpoint whose attempts all failed for the configured days is disabled, saying so", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint([{ status: 500 }, { status: 500 }]);
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    // failing for 4 days: the attempt fails, and a retry is scheduled
    await env.DB.prepare("UPDATE webhooks SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 4 * DAY, hook.uid)
      .run();
    await call("POST", `${WEBHOOKS}/${hook.uid}/test`, { key: t.key });
    await untilDelivery(t.key, hook.uid, (d) => d.status === "failed");
    expect((await call("GET", `${WEBHOOKS}/${hook.uid}`, { key: t.key })).json.enabled).toBe(true);
    // failing for 5 days (WEBHOOKS_DISABLE_AFTER_DAYS): the next failure disables it
    await env.DB.prepare("UPDATE webhooks SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 5 * DAY - 1000, hook.uid)
      .run();
    const [delivery] = await deliveriesOf(t.key, hook.uid);
    await deliverToQueue(SENDS, [{ delivery_id: delivery.id, team_id: t.teamId, attempt: 1 }]);
    const after = (await call("GET", `${WEBHOOKS}/${hook.uid}`, { key: t.key })).json;
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toMatch(/failed \(5 days or more\)/);
    expect((await deliveriesOf(t.key, hook.uid))[0].status).toBe("gave_up");
    // a success clears the failing run: enable, resend
    await call("PATCH", `${WEBHOOKS}/${hook.uid}`, { key: t.key, body: { enabled: true } });
    const resent = await call("POST", `${WEBHOOKS}/${hook.uid}/deliveries/${delivery.id}/resend`, {
      key: t.key,
    });
    expect(resent.status, resent.text).toBe(202);
    await untilDelivery(t.key, hook.uid, (d) => d.status === "succeeded");
    const calls = await receiver.calls();
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.headers["webhook-id"])).size).toBe(1);
    expect((await call("GET", `${WEBHOOKS}/${hook.uid}`, { key: t.key })).json.failing_since).toBe(
      null,
    );
  });

  it("a destination the platform refuses at send time is an attempt that failed, never a request", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, webhook_id, team_id, event_id, event_type, payload, status, attempt_count, series_start, created_at, updated_at) VALUES (?, ?, ?, ?, 'run.created', '{}', 'pending', 0, 0, ?, ?)",
    )
      .bind("dlv_strict", hook.uid, t.teamId, `evt_${uuidv7()}`, Date.now(), Date.now())
      .run();
    const strict = { ...env, WEBHOOKS_ALLOW_PRIVATE: "false" } as Env;
    await deliverToQueue(
      SENDS,
      [{ delivery_id: "dlv_strict", team_id: t.teamId, attempt: 0 }],
      strict,
    );
    const [d] = await deliveriesOf(t.key, hook.uid);
    expect(d.status).toBe("failed");
    expect(d.attempts[0]).toMatchObject({ http_status: null });
    expect(d.attempts[0].error).toMatch(/destination refused: it must use https/);
    expect(await receiver.calls()).toHaveLength(0);
  });

  it("a run's changes of state, its end and a follow-up: each once, from its Durable Object", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, {
      url: receiver.url,
      event_types: ["run.state_changed", "run.completed", "run.followup"],
    });
    const runId = await createRun(t.key, { prompt: "Fix it", title: "Fix" });
    const ref = { runId, teamId: t.teamId };
    await advance(ref, "dispatch", "claim", "start", "succeed");
    // a host's report retried after it was applied changes nothing, so it emits nothing
    const again = await sessionOf(runId).command(ref, "succeed", HOST_ACTOR);
    expect(again.ok).toBe(false);
    // sent as each change commits (not only when something later drains the log)
    await eventually("the state changes' events", async () => (await receiver.calls()).length >= 5);
    const res = await call("POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: t.key,
      body: { message: "also fix the lint" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const want = 7; // 4 changes + completed + follow-up + the reopen (SUCCEEDED → QUEUED)
    const calls = await eventually("the run's events", async () => {
      const c = await receiver.calls();
      return c.length >= want ? c : null;
    });
    await sleep(1_500);
    const bodies = (await receiver.calls()).map((c) => verified(hook.secret, c));
    expect(bodies).toHaveLength(calls.length);
    const seen = bodies
      .map((b) => `${b.type}:${b.data.previous_state ?? ""}>${b.data.state ?? ""}`)
      .sort();
    expect(seen).toEqual(
      [
        "run.state_changed:QUEUED>PENDING",
        "run.state_changed:PENDING>CLAIMED",
        "run.state_changed:CLAIMED>INPROGRESS",
        "run.state_changed:INPROGRESS>SUCCEEDED",
        "run.completed:INPROGRESS>SUCCEEDED",
        "run.state_changed:SUCCEEDED>QUEUED",
        "run.followup:>",
      ].sort(),
    );
    const followup = bodies.find((b) => b.type === "run.followup")!;
    expect(followup.data).toMatchObject({
      run_id: runId,
      title: "Fix",
      source: "API",
      followup: { message: "also fix the lint", sender: { type: "user", id: t.userId } },
    });
    const completed = bodies.find((b) => b.type === "run.completed")!;
    expect(completed.data).toMatchObject({ run_id: runId, state: "SUCCEEDED", title: "Fix" });
  });

  it("a long follow-up is cut in its event, which a queue message could not hold whole", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.followup"] });
    const runId = await createRun(t.key);
    const ref = { runId, teamId: t.teamId };
    await advance(ref, "dispatch", "claim", "start");
    const message = "€".repeat(60_000); // 180 KB of UTF-8: more than a queue message holds
    const res = await call("POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: t.key,
      body: { message },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const [c] = await eventually("the follow-up's event", async () => {
      const calls = await receiver.calls();
      return calls.length ? calls : null;
    });
    const { data } = verified(hook.secret, c);
    expect(data.followup.truncated).toBe(true);
    expect(data.followup.message).toBe(`${"€".repeat(4_000)}…`);
  });

  it("an attempt whose message was lost is queued again by the housekeeping cron, once", async () => {
    const t = await newTeam();
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(t.key, { url: receiver.url, event_types: ["run.created"] });
    const now = Date.now();
    // its consumer died after claiming attempt 1 (so attempt_count is 2), 20 minutes ago
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, webhook_id, team_id, event_id, event_type, payload, status, attempt_count, series_start, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'run.created', '{\"type\":\"run.created\"}', 'failed', 2, 0, ?, ?, ?)",
    )
      .bind("dlv_lost", hook.uid, t.teamId, `evt_${uuidv7()}`, now - 20 * 60_000, now, now)
      .run();
    const fire = async () => {
      const ctx = createExecutionContext();
      const controller = createScheduledController({
        scheduledTime: Date.now(),
        cron: "* * * * *",
      });
      await worker.scheduled(controller, env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await fire();
    const d = await untilDelivery(t.key, hook.uid, (x) => x.status === "succeeded");
    expect(d.attempt_count).toBe(3);
    await fire(); // nothing is due any more
    await sleep(1_500);
    expect(await receiver.calls()).toHaveLength(1);
  });
});
