// The inbound URL of an integration: signed per Standard Webhooks (signed here by the independent
// `standardwebhooks` library), recorded, deduplicated and processed by the real INTEGRATIONS queue.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { call, callWithEnv, expectProblem, newTeam } from "../helpers/api.ts";
import {
  createWebhookIntegration,
  deliver,
  deliveriesOf,
  INTEGRATIONS,
  processed,
  runsOfIntegration,
} from "../helpers/integrations.ts";

vi.setConfig({ testTimeout: 30_000 });

/** `target` whose method calls are written to `seen` as `<name>.<method>` (and then made). */
function counted<T extends object>(name: string, target: T, seen: string[]): T {
  return new Proxy(target, {
    get(t, p) {
      const v = Reflect.get(t, p);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        seen.push(`${name}.${String(p)}`);
        return v.apply(t, args);
      };
    },
  });
}

/** A delivery signed per Standard Webhooks, sent to an app whose D1, R2 and queue are counted. */
async function countedDelivery(uid: string, secret: string, payload: unknown) {
  const seen: string[] = [];
  const sent: { payload?: string }[] = [];
  const queue = counted("INTEGRATIONS", env.INTEGRATIONS, seen);
  const id = `msg_${crypto.randomUUID().replace(/-/g, "")}`;
  const raw = JSON.stringify(payload);
  const at = new Date();
  const res = await callWithEnv(
    {
      DB: counted("DB", env.DB, seen),
      ARTIFACTS: counted("ARTIFACTS", env.ARTIFACTS, seen),
      INTEGRATIONS: new Proxy(queue, {
        get: (t, p) =>
          p === "send"
            ? (body: { payload?: string }, o?: QueueSendOptions) => {
                sent.push(body);
                return t.send(body, o);
              }
            : Reflect.get(t, p),
      }),
    },
    "POST",
    `${INTEGRATIONS}/${uid}/events`,
    {
      raw,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(id, at, raw),
      },
    },
  );
  return { res, seen, sent, raw };
}

describe("the inbound answer: verify, deduplicate, enqueue, nothing else", () => {
  it("one D1 read, one D1 write, one queue message carrying the payload; the consumer keeps it in R2", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    const { res, seen, sent, raw } = await countedDelivery(uid, secret, { task: "fix it" });
    expect(res.status, res.text).toBe(202);
    // the integration with its team's key, then the insert that deduplicates and records
    expect(seen).toEqual(["DB.prepare", "DB.prepare", "INTEGRATIONS.send"]);
    expect(sent).toEqual([expect.objectContaining({ payload: raw })]);
    const row = await processed(t.key, uid, res.json.delivery_id);
    expect(row).toMatchObject({ outcome: "run_created", payload_available: true });
    const stored = await env.ARTIFACTS.get(`integrations/${t.teamId}/${uid}/${row.id}`);
    expect(await stored?.text()).toBe(raw);
    // what R2 holds is what a redelivery processes again
    const again = await call("POST", `${INTEGRATIONS}/${uid}/deliveries/${row.id}/redeliver`, {
      key: t.key,
    });
    expect(again.status, again.text).toBe(202);
    expect(await processed(t.key, uid, again.json.id)).toMatchObject({
      outcome: "run_created",
    });
  });

  it("a payload too big for a queue message goes to R2 before the answer; the message names it", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      prompt_template: "{{payload.task}}",
    });
    const big = { task: "fix it", log: "x".repeat(100 * 1024) };
    const { res, seen, sent } = await countedDelivery(uid, secret, big);
    expect(res.status, res.text).toBe(202);
    expect(seen).toEqual(["DB.prepare", "ARTIFACTS.put", "DB.prepare", "INTEGRATIONS.send"]);
    expect(sent[0].payload).toBeUndefined();
    const row = await processed(t.key, uid, res.json.delivery_id);
    expect(row, row.reason).toMatchObject({ outcome: "run_created" });
  });
});

describe("POST /integrations/{uid}/events", () => {
  it("a signed delivery is recorded (202) and becomes a run whose prompt is the template filled from the payload", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      prompt_template:
        "Fix {{payload.issue.title}} in {{payload.repo}} (labels {{payload.labels}}; {{payload.missing}}.)",
      settings: { url_path: "issue.url", title_template: "Ticket {{payload.issue.id}}" },
    });
    const payload = {
      type: "ticket.created",
      repo: "acme/api",
      labels: ["bug", "p1"],
      issue: { id: 42, title: "the flaky login test", url: "https://tickets.example/42" },
    };
    const res = await deliver(uid, secret, payload);
    expect(res.status, res.text).toBe(202);
    const d = await processed(t.key, uid, res.json.delivery_id);
    expect(d).toMatchObject({ outcome: "run_created", event: "ticket.created" });
    const [run] = await runsOfIntegration(uid);
    expect(run.id).toBe(d.run_id);
    expect(run.prompt).toBe('Fix the flaky login test in acme/api (labels ["bug","p1"]; .)');
    expect(run.source).toBe("API");
    const item = await call("GET", `/api/v1/agent/runs/${run.id}`, { key: t.key });
    expect(item.json).toMatchObject({
      title: "Ticket 42",
      trigger_url: "https://tickets.example/42",
      metadata: { "ambit.integration": uid, "ambit.integration_delivery": d.id },
    });
  });

  it("a bad signature is 401 with an empty body, recorded as rejected, and starts nothing", async () => {
    const t = await newTeam();
    const { uid } = await createWebhookIntegration(t.key);
    const other = (await createWebhookIntegration(t.key)).secret; // a valid secret, not this one's
    const res = await deliver(uid, other, { type: "x" }, { id: "msg_forged" });
    expect(res.status).toBe(401);
    expect(res.text).toBe("");
    const [d] = await deliveriesOf(t.key, uid);
    expect(d).toMatchObject({ outcome: "rejected", delivery_id: null, run_id: null });
    expect(d.payload_available).toBe(false);
    expect(await runsOfIntegration(uid)).toHaveLength(0);
  });

  it("a stale or future timestamp is 401 even when correctly signed", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    const old = await deliver(uid, secret, {}, { at: new Date(Date.now() - 301_000) });
    const ahead = await deliver(uid, secret, {}, { at: new Date(Date.now() + 301_000) });
    expect([old.status, ahead.status]).toEqual([401, 401]);
    const missing = await deliver(uid, secret, {}, { headers: { "webhook-signature": "" } });
    expect(missing.status).toBe(401);
    expect((await deliveriesOf(t.key, uid)).map((d) => d.outcome)).toEqual([
      "rejected",
      "rejected",
      "rejected",
    ]);
  });

  it("an oversized body is 413 before any check; an unknown integration is 404", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    const big = await callWithEnv(
      { MAX_BODY_BYTES: "1000" },
      "POST",
      `${INTEGRATIONS}/${uid}/events`,
      {
        raw: JSON.stringify({ pad: "x".repeat(2000) }),
        headers: { "content-type": "application/json" },
      },
    );
    expectProblem(big, 413, "payload_too_large");
    expect(await deliveriesOf(t.key, uid)).toHaveLength(0); // refused before the integration was read
    const unknown = await deliver("0190a0a0-0000-7000-8000-000000000000", secret, {});
    expectProblem(unknown, 404, "resource_not_found");
  });

  it("a disabled integration answers 403 integration_disabled only to a correctly signed sender", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, { enabled: false });
    expectProblem(await deliver(uid, secret, {}), 403, "integration_disabled");
    expect((await deliver(uid, `whsec_${btoa("x".repeat(32))}`, {})).status).toBe(401);
    const outcomes = (await deliveriesOf(t.key, uid)).map((d) => [d.outcome, d.reason]);
    expect(outcomes).toContainEqual(["rejected", "the integration is disabled"]);
    expect(await runsOfIntegration(uid)).toHaveLength(0);
  });

  it("a body that is not JSON is 400 after the signature passed", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    expectProblem(await deliver(uid, secret, null, { raw: "not json" }), 400, "invalid_request");
  });

  it("the same webhook-id twice is one delivery and one run; the repeat answers 200", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    const first = await deliver(uid, secret, { n: 1 }, { id: "msg_same" });
    const again = await deliver(uid, secret, { n: 1 }, { id: "msg_same" });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.json).toEqual({ delivery_id: first.json.delivery_id, duplicate: true });
    await processed(t.key, uid, first.json.delivery_id);
    expect(await deliveriesOf(t.key, uid)).toHaveLength(1);
    expect(await runsOfIntegration(uid)).toHaveLength(1);
  });

  it("a delivery a filter does not match is ignored with the reason", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: {
        filters: [
          { path: "action", in: ["opened", "reopened"] },
          { path: "repo.private", equals: false },
          { path: "sender", exists: true },
        ],
      },
    });
    const skip = await deliver(uid, secret, {
      action: "closed",
      repo: { private: false },
      sender: "a",
    });
    const take = await deliver(uid, secret, {
      action: "opened",
      repo: { private: false },
      sender: "a",
    });
    expect(await processed(t.key, uid, skip.json.delivery_id)).toMatchObject({
      outcome: "ignored",
      reason: "filter: action did not match",
      run_id: null,
    });
    expect((await processed(t.key, uid, take.json.delivery_id)).outcome).toBe("run_created");
    expect(await runsOfIntegration(uid)).toHaveLength(1);
    const ignored = await deliveriesOf(t.key, uid, "outcome=ignored");
    expect(ignored.map((d) => d.id)).toEqual([skip.json.delivery_id]);
    expect(await deliveriesOf(t.key, uid, "event=webhook")).toHaveLength(2);
    expect(await deliveriesOf(t.key, uid, "event=other")).toHaveLength(0);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await deliveriesOf(t.key, uid, `since=${encodeURIComponent(later)}`)).toHaveLength(0);
    const earlier = new Date(Date.now() - 60_000).toISOString();
    expect(await deliveriesOf(t.key, uid, `since=${encodeURIComponent(earlier)}`)).toHaveLength(2);
  });
});
