// Budgets end to end: a real `wrangler dev`, the real host runner with its built-in harness, and
// the scripted model server (test/fakes/model-server.ts) as the team's catalog model, every turn
// a tool call so an agent goes on calling until it is stopped. A budget crossed mid-run stops
// that run (FAILED, budget_exceeded) and refuses the next run with 403; twenty runs at once
// against a small budget pass it by less than one call.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, startModelServer } from "../fakes/model-server.ts";
import { runCli } from "./cli-run.ts";
import { api, type E2eServer, startE2eServer } from "./helpers.ts";
import { configure, createRun, inProcessHost, untilEnded } from "./runner-setup.ts";

const WORKER = "e2e-budgets";
/** each call: 1,000 in at $3/M and 100 out at $15/M = $0.0045 */
const CALL_USD = 0.0045;

let s: E2eServer;
let dir: string;
let host: Host;
let model: ModelServer;
let bin: string;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "e2e-budgets" })]);
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-budgets-"));
  model = await startModelServer(() => ({
    toolCalls: [{ name: "run_shell_command", args: { command: "echo spend" } }],
    usage: { input: 1000, output: 100 },
  }));
  const cfg = configure(s);
  await cfg.secret("MODEL_KEY", "sk-budgets", "openai_api_key");
  const set = await api(s.url, "POST", "/api/v1/agent/models", {
    key: s.key,
    body: {
      id: "metered",
      provider: "openai",
      model: "metered-1",
      base_url: `${model.url}/v1`,
      api_key_secret: "MODEL_KEY",
      prices: { input: 3, output: 15, cache_read: 0, cache_write: 0 },
    },
  });
  expect(set.status, set.text).toBe(201);
  const limits = { limits: { max_concurrent_runs: 20 } };
  const team = await api(s.url, "PATCH", "/api/v1/team", { key: s.key, body: limits });
  expect(team.status, team.text).toBe(200);
  host = await inProcessHost(s, dir, WORKER, { capacity: 20 });
}, 240_000);

afterAll(async () => {
  await host?.stop();
  await model?.close();
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ambit = (args: string[]) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key } });

const budget = async (body?: Record<string, unknown>) => {
  const res = await api(s.url, body ? "PATCH" : "GET", "/api/v1/team/budget", { key: s.key, body });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

/** The month's spend once no call holds anything (every call settled). */
async function settledSpend(): Promise<number> {
  const end = Date.now() + 10_000;
  for (;;) {
    const b = await budget();
    if (b.spent.reserved_usd === 0 || Date.now() > end) return b.spent.team_usd;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("budgets (wrangler dev, the real runner)", () => {
  it("a budget crossed mid-run stops that run FAILED (budget_exceeded) and refuses the next run", async () => {
    // room for five calls: the fifth passes it
    const set = await ambit(["budget", "set", "--monthly-usd", "0.02"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/Team, monthly: +\$0\.02/);
    const runId = await createRun(s, "Spend", WORKER, { model_id: "metered" });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state).toBe("FAILED");
    expect(run.status_message.error_code).toBe("budget_exceeded");
    expect(run.status_message.message).toMatch(/team's monthly budget of \$0\.02 is used up/);
    const spent = await settledSpend();
    expect(spent).toBeCloseTo(5 * CALL_USD, 6);
    expect(run.request_usage.model_calls).toBe(5);

    const next = await api(s.url, "POST", "/api/v1/agent/runs", {
      key: s.key,
      body: { prompt: "more", config: { model_id: "metered", worker_host: WORKER } },
    });
    expect(next.status, next.text).toBe(403);
    expect(next.json.error_code).toBe("budget_exceeded");
    expect(next.json.detail).toMatch(/monthly budget of \$0\.02 is used up .* resets at /);
    const shown = await ambit(["budget", "get"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/\(spent \$0\.02\)/);
    expect(shown.stdout).toMatch(/Resets at: +\d{4}-\d\d-01T00:00:00\.000Z/);
  }, 120_000);

  it("twenty runs at once against a small budget pass it by less than one call", async () => {
    const before = await settledSpend();
    const cap = Math.round((before + 0.05) * 1e6) / 1e6;
    await budget({ monthly_usd: cap });
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createRun(s, `Spend ${i}`, WORKER, { model_id: "metered" }),
      ),
    );
    const runs = await Promise.all(ids.map((id) => untilEnded(s, id, 120_000)));
    for (const r of runs) {
      expect(r.state, JSON.stringify(r.status_message)).toBe("FAILED");
      expect(r.status_message.error_code).toBe("budget_exceeded");
    }
    const spent = await settledSpend();
    const calls = runs.reduce((n, r) => n + (r.request_usage?.model_calls ?? 0), 0);
    expect(spent - before).toBeCloseTo(calls * CALL_USD, 6);
    expect(spent).toBeGreaterThanOrEqual(cap);
    expect(spent - cap).toBeLessThan(CALL_USD); // one call past the cap at most, for all twenty
  }, 180_000);

  it("ambit budget set --member gives one member a budget of their own; get shows it; --clear removes it", async () => {
    const email = `ada-${crypto.randomUUID()}@example.com`;
    const added = await api(s.url, "POST", "/api/v1/team/members", {
      key: s.key,
      body: { email, role: "member" },
    });
    expect(added.status, added.text).toBe(201);
    const set = await ambit(["budget", "set", "--member", email, "2.5"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`${email}`);
    expect(set.stdout).toMatch(/\$0\.00 of \$2\.50 \(0 %, own\)/);
    const shown = await ambit(["budget", "get"]);
    expect(shown.stdout).toMatch(/Members this month:/);
    const line = shown.stdout.split("\n").find((l) => l.includes(email));
    expect(line).toMatch(/\$0\.00 of \$2\.50 \(0 %, own\)/);
    const json = await ambit(["budget", "get", "--json"]);
    const mine = JSON.parse(json.stdout).members.find((m: any) => m.email === email);
    expect(mine).toMatchObject({ monthly_usd: 2.5, source: "member", member_id: added.json.uid });
    const cleared = await ambit(["budget", "set", "--member", added.json.uid, "--clear", "--json"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ source: null, monthly_usd: null });
    const nobody = await ambit(["budget", "set", "--member", "nobody@example.com", "1"]);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/no member of this team is 'nobody@example\.com'/);
    const both = await ambit(["budget", "set", "--member", email, "1", "--clear"]);
    expect(both.code).toBe(2);
  }, 60_000);
});
