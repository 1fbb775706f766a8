// How a run an integration started is wired: its thread is written with the run (its run.created
// and its assignment find it), it gets the credentials its kind gives a run (GitHub's
// GITHUB_TOKEN) at assignment over a team secret of the same name, and its events are reported
// one after the other. The webhook kind is given `runSecrets` / `report` here (as the GitHub kind
// has them), so the path is the real inbound URL, queues and HostPool.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { webhookKind } from "../../src/integrations/webhook/index.ts";
import { payloadKey } from "../../src/services/integrations/payloads.ts";
import { processDelivery } from "../../src/services/integrations/process-delivery.ts";
import { call, newTeam } from "../helpers/api.ts";
import { TestHost } from "../helpers/hosts.ts";
import { createWebhookIntegration, deliver, processed } from "../helpers/integrations.ts";
import { createRun } from "../helpers/runs.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(() => {
  delete (webhookKind as { runSecrets?: unknown }).runSecrets;
  delete (webhookKind as { report?: unknown }).report;
});

describe("HostPool: a run's integration credentials", () => {
  it("reach the run an integration started, in place of a team secret so named; no other run", async () => {
    const t = await newTeam("int-secrets");
    const res = await call("POST", "/api/v1/agent/secrets", {
      key: t.key,
      body: { name: "GITHUB_TOKEN", value: "team-token" },
    });
    expect(res.status, res.text).toBe(201);
    const seen: { thread: string; integration: string }[] = [];
    (webhookKind as { runSecrets?: unknown }).runSecrets = async (input: {
      integration: { id: string };
      thread: { key: string };
    }) => {
      seen.push({ thread: input.thread.key, integration: input.integration.id });
      return [{ name: "GITHUB_TOKEN", value: "integration-token" }];
    };
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "issue" },
    });
    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });

    const sent = await deliver(uid, secret, { issue: "42", task: "fix it" });
    expect(sent.status, sent.text).toBe(202);
    const row = await processed(t.key, uid, sent.json.delivery_id);
    expect(row.outcome).toBe("run_created");
    const a = await host.assignmentOf(row.run_id);
    expect(a.secrets).toEqual([{ name: "GITHUB_TOKEN", value: "integration-token" }]);
    expect(seen).toEqual([{ thread: expect.stringContaining("42"), integration: uid }]);

    const other = await createRun(t.key, { prompt: "by hand" });
    const b = await host.assignmentOf(other);
    expect(b.secrets).toEqual([
      expect.objectContaining({ name: "GITHUB_TOKEN", value: "team-token" }),
    ]);
  });
});

describe("a run an integration started", () => {
  it("has its thread from its first moment: run.created (and its dispatch) find it", async () => {
    const t = await newTeam("int-thread");
    const { uid } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "issue" },
    });
    // a delivery recorded but not queued, processed here with EVENTS watched
    const id = crypto.randomUUID();
    const key = payloadKey(t.teamId, uid, id);
    await env.ARTIFACTS.put(key, JSON.stringify({ issue: "7", task: "fix it" }));
    await env.DB.prepare(
      `INSERT INTO integration_deliveries
         (id, team_id, integration_id, event, outcome, payload_key, received_at)
       VALUES (?, ?, ?, 'webhook', 'received', ?, ?)`,
    )
      .bind(id, t.teamId, uid, key, Date.now())
      .run();
    const threadsAtCreated: unknown[] = [];
    const events = {
      async send(message: { type: string; data: { run_id?: string } }) {
        if (message.type !== "run.created") return;
        const { results } = await env.DB.prepare(
          "SELECT thread_key FROM integration_threads WHERE run_id = ?",
        )
          .bind(message.data.run_id)
          .all();
        threadsAtCreated.push(...results.map((r) => r.thread_key));
      },
    };
    const result = await processDelivery(
      { ...env, EVENTS: events as unknown as Queue },
      {
        delivery_id: id,
        integration_id: uid,
        team_id: t.teamId,
      },
    );
    expect(result).toMatchObject({ outcome: "run_created" });
    expect(threadsAtCreated).toHaveLength(1);
    expect(String(threadsAtCreated[0])).toContain("7");
  });
});

describe("EVENTS consumer: reports back", () => {
  it("a run's events in one batch are reported one after the other, oldest first", async () => {
    const t = await newTeam("int-order");
    const { uid, secret } = await createWebhookIntegration(t.key, {
      settings: { thread_key_path: "issue" },
    });
    const sent = await deliver(uid, secret, { issue: "9", task: "fix it" });
    const row = await processed(t.key, uid, sent.json.delivery_id);
    const log: string[] = [];
    const ours = new Set<string>();
    (webhookKind as { report?: unknown }).report = async (input: {
      event: { id: string; type: string };
    }) => {
      if (!ours.has(input.event.id)) return; // the run's real events, from the real queue
      log.push(`start ${input.event.type}`);
      await new Promise((r) => setTimeout(r, 20));
      log.push(`end ${input.event.type}`);
    };
    const at = Date.now();
    const event = (type: string, dt: number) => {
      const id = `evt_${crypto.randomUUID()}`;
      ours.add(id);
      return { id, team_id: t.teamId, type, at: at + dt, data: { run_id: row.run_id } };
    };
    // as a batch may bring them: out of order, a completion beside its state change
    const batch = createMessageBatch(
      "ambit-events",
      [event("run.completed", 5), event("run.state_changed", 5), event("run.created", 0)].map(
        (body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }),
      ),
    );
    await worker.queue(batch, env);
    getQueueResult(batch, createExecutionContext());
    expect(log).toEqual([
      "start run.created",
      "end run.created",
      "start run.state_changed",
      "end run.state_changed",
      "start run.completed",
      "end run.completed",
    ]);
  });
});
