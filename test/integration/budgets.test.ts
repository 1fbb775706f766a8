// Budgets (docs/gateway.md "Budgets"): set and read by the API, enforced by the gateway against
// the scripted model server (test/helpers/model-server-setup.ts): a budget crossed mid-run
// refuses the run's next model call in the provider's error shape and ends the run FAILED
// (budget_exceeded), refuses the next run with 403, and announces its thresholds once each.
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { BASE, call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { BUDGET, gw, heldRun as heldRunOf, pricedCatalog } from "../helpers/budgets.ts";
import { eventually, TestHost, untilRun } from "../helpers/hosts.ts";
import { eventsOf, RUNS } from "../helpers/runs.ts";
import { createWebhook, receiverEndpoint, untilDelivery } from "../helpers/webhooks.ts";

vi.setConfig({ testTimeout: 30_000 });

/** A team with a priced catalog model ($2 in, $8 out per million tokens) and a test host. */
async function pricedTeam(capacity = 4) {
  const t = await newTeam("budgets");
  await pricedCatalog(t.key);
  const host = await TestHost.connect(t.key, "warp", { capacity });
  return { t, host };
}

const heldRun = (t: { key: string }, host: TestHost, config: Record<string, unknown> = {}) =>
  heldRunOf(t.key, host, config);

describe("budgets", () => {
  it("admins set them, every member reads them with this month's spend and reset; each change is audited", async () => {
    const t = await newTeam("budgets");
    const member = await memberKey(t.key, "member");
    const empty = await call("GET", BUDGET, { key: member.key });
    expect(empty.status, empty.text).toBe(200);
    expect(empty.json).toMatchObject({
      monthly_usd: null,
      member_monthly_usd: null,
      run_max_cost_usd: null,
      spent: { team_usd: 0, member_usd: 0, reserved_usd: 0 },
      thresholds: [80, 90, 100],
    });
    const now = new Date();
    const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    expect(empty.json.period.resets_at).toBe(reset.toISOString());
    expectProblem(
      await call("PATCH", BUDGET, { key: member.key, body: { monthly_usd: 5 } }),
      403,
      "not_authorized",
    );
    expectProblem(await call("PATCH", BUDGET, { key: t.key, body: {} }), 400, "invalid_request");
    const set = await call("PATCH", BUDGET, {
      key: t.key,
      body: { monthly_usd: 100, member_monthly_usd: 25.5, run_max_cost_usd: 2 },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({
      monthly_usd: 100,
      member_monthly_usd: 25.5,
      run_max_cost_usd: 2,
    });
    const cleared = await call("PATCH", BUDGET, { key: t.key, body: { run_max_cost_usd: null } });
    expect(cleared.json).toMatchObject({ monthly_usd: 100, run_max_cost_usd: null });
    const log = await call("GET", "/api/v1/audit-log?limit=2", { key: t.key });
    expect(log.json.entries.map((e: any) => [e.action, e.changes])).toEqual([
      ["budget.update", { run_max_cost_usd: { before: 2, after: null } }],
      [
        "budget.update",
        {
          monthly_usd: { before: null, after: 100 },
          member_monthly_usd: { before: null, after: 25.5 },
          run_max_cost_usd: { before: null, after: 2 },
        },
      ],
    ]);
  });

  it("a budget crossed mid-run: thresholds announced once, the next call refused, the run FAILED, the next run refused", async () => {
    const { t, host } = await pricedTeam();
    const { url } = await receiverEndpoint();
    const hook = await createWebhook(t.key, { url, event_types: ["budget.threshold"] });
    // $0.005 a month; one call of 1,000 in and 500 out costs $0.006
    const set = await call("PATCH", BUDGET, { key: t.key, body: { monthly_usd: 0.005 } });
    expect(set.status, set.text).toBe(200);
    const { runId, token } = await heldRun(t, host);
    const body = { model: "house-1", max_tokens: 500, messages: [] };
    const first = await gw("/openai/v1/chat/completions", token, body, {
      text: "ok",
      usage: { input: 1000, output: 500 },
    });
    expect(first.status).toBe(200);
    await first.text();
    await eventually("the call settled", async () => {
      const b = await call("GET", BUDGET, { key: t.key });
      return b.json.spent.team_usd === 0.006 ? b : undefined;
    });

    const refused = await gw("/openai/v1/chat/completions", token, body);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("x-should-retry")).toBe("false");
    const err = ((await refused.json()) as any).error;
    expect(err.code).toBe("budget_exceeded");
    expect(err.message).toMatch(/team's monthly budget of \$0\.0050 is used up \(\$0\.0060 spent/);
    // Anthropic's shape for an Anthropic client
    const anth = await exports.default.fetch(
      new Request(`${BASE}/api/v1/gateway/anthropic/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": token },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [] }),
      }),
    );
    expect(anth.status).toBe(403);
    expect((await anth.json()) as any).toMatchObject({
      type: "error",
      error: { type: "permission_error" },
    });

    // the run is told to stop; however its agent ends, it ends FAILED with budget_exceeded
    await host.cancellationOf(runId);
    host.fail(runId, { message: "API Error: 403", error_code: "model_auth_failed" });
    const ended = await untilRun(t.key, runId, (r) => r.state === "FAILED");
    expect(ended.status_message).toMatchObject({ error_code: "budget_exceeded" });
    expect(ended.status_message.message).toMatch(/^Stopped: the team's monthly budget/);

    const next = await call("POST", RUNS, { key: t.key, body: { prompt: "more" } });
    const problem = expectProblem(next, 403, "budget_exceeded");
    expect(problem.detail).toMatch(/no new run can start: the team's monthly budget of \$0\.0050/);
    expect(problem.detail).toMatch(/resets at \d{4}-\d\d-01T00:00:00\.000Z/);
    expect(problem).toMatchObject({ budget: "team", limit_usd: 0.005, spent_usd: 0.006 });

    // 80, 90 and 100 % once each: audit entries, a note on the run, webhook deliveries
    const audit = await call("GET", "/api/v1/audit-log?limit=20", { key: t.key });
    const thresholds = audit.json.entries.filter((e: any) => e.action === "budget.threshold");
    expect(thresholds.map((e: any) => e.changes.threshold.after).sort()).toEqual([100, 80, 90]);
    const events = (await eventsOf({ runId, teamId: t.teamId })) ?? [];
    const notes = events.filter((e) => e.actor.id === "budget");
    expect(notes.map((e) => e.type).sort()).toEqual(["log", "log", "log", "run.cancel_requested"]);
    expect(notes.find((e) => e.payload.message?.toString().startsWith("100 %"))).toBeTruthy();
    const delivery = await untilDelivery(
      t.key,
      hook.uid,
      (d) => d.event_type === "budget.threshold",
    );
    expect(delivery.event_type).toBe("budget.threshold");
  });

  it("an ended run's credential is refused (401) though its hold was taken beside the check: the room is given back", async () => {
    const { t, host } = await pricedTeam();
    const set = await call("PATCH", BUDGET, { key: t.key, body: { monthly_usd: 5 } });
    expect(set.status, set.text).toBe(200);
    const { runId, token } = await heldRun(t, host);
    const body = { model: "house-1", max_tokens: 500, messages: [] };
    // a first call while the run is held: its upstream is then at hand, and the next call's hold
    // is asked for at once
    const first = await gw("/openai/v1/chat/completions", token, body, { text: "ok" });
    expect(first.status).toBe(200);
    await first.text();
    const spent = await eventually("the first call settled", async () => {
      const b = await call("GET", BUDGET, { key: t.key });
      return b.json.spent.team_usd > 0 && b.json.spent.reserved_usd === 0 && b.json.spent;
    });
    host.complete(runId, { message: "done" });
    await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED");
    const refused = await gw("/openai/v1/chat/completions", token, body);
    expect(refused.status).toBe(401);
    await refused.text();
    // the ledger held the call's maximum while the run answered (let it have); nothing stays held
    await new Promise((r) => setTimeout(r, 500));
    await eventually("the hold released", async () => {
      const b = await call("GET", BUDGET, { key: t.key });
      return b.json.spent.reserved_usd === 0 ? b : undefined;
    });
    const b = await call("GET", BUDGET, { key: t.key });
    expect(b.json.spent).toMatchObject({ team_usd: spent.team_usd, reserved_usd: 0 });
  });

  it("a run's own cap (config.max_cost_usd) stops that run only; a follow-up of it is refused", async () => {
    const { t, host } = await pricedTeam();
    const capped = await heldRun(t, host, { max_cost_usd: 0.001 });
    const free = await heldRun(t, host);
    const body = { model: "house-1", max_tokens: 500, messages: [] };
    const turn = { text: "ok", usage: { input: 1000, output: 500 } };
    await (await gw("/openai/v1/chat/completions", capped.token, body, turn)).text();
    await eventually("the capped run's call settled", async () => {
      const r = await gw("/openai/v1/chat/completions", capped.token, body, turn);
      await r.text();
      return r.status === 403 ? r : undefined;
    });
    const other = await gw("/openai/v1/chat/completions", free.token, body, turn);
    expect(other.status).toBe(200);
    await other.text();
    await host.cancellationOf(capped.runId);
    host.complete(capped.runId, { message: "done anyway" });
    const ended = await untilRun(t.key, capped.runId, (r) => r.state === "FAILED");
    expect(ended.status_message.message).toMatch(/this run's cost cap of \$0\.0010 is reached/);
    const followup = await call("POST", `${RUNS}/${capped.runId}/followups`, {
      key: t.key,
      body: { message: "go on" },
    });
    expectProblem(followup, 403, "budget_exceeded");
  });

  it("twenty runs calling at once through the gateway pass a small budget by less than one call", async () => {
    const { t, host } = await pricedTeam(20);
    const limits = { limits: { max_concurrent_runs: 20 } };
    expect((await call("PATCH", "/api/v1/team", { key: t.key, body: limits })).status).toBe(200);
    // $0.05; each call costs $0.006 (1,000 in, 500 out) and holds its maximum, $0.008 and more
    await call("PATCH", BUDGET, { key: t.key, body: { monthly_usd: 0.05 } });
    const runs = [];
    for (let i = 0; i < 20; i++) runs.push(await heldRun(t, host));
    const body = { model: "house-1", max_tokens: 1000, messages: [] };
    const turn = { text: "ok", usage: { input: 1000, output: 500 } };
    let answered = 0;
    const statuses = await Promise.all(
      runs.map(async ({ token }) => {
        for (;;) {
          const r = await gw("/openai/v1/chat/completions", token, body, turn);
          await r.text();
          if (r.status !== 200) return r.status;
          answered++;
        }
      }),
    );
    expect(statuses.every((s) => s === 403)).toBe(true);
    const spent = await eventually("every call settled", async () => {
      const b = await call("GET", BUDGET, { key: t.key });
      return b.json.spent.reserved_usd === 0 ? b.json.spent.team_usd : undefined;
    });
    expect(spent).toBeCloseTo(answered * 0.006, 6);
    expect(spent).toBeGreaterThanOrEqual(0.05);
    expect(spent - 0.05).toBeLessThan(0.006); // one call past the cap at most, for all twenty
  }, 90_000);
});
