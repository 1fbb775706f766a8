// The model gateway end to end: a real `wrangler dev`, the real host runner with its built-in
// harness, and the scripted model server (test/fakes/model-server.ts) as the team's catalog
// models. The model key is a canary: it reaches the model server (through the gateway) and
// nothing a host sees (assignment, the run's environment, the catalog model handed to the
// harness). A run's recorded usage and cost equal the model server's counts exactly; a run's
// gateway credential is refused once the run ended or was cancelled.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness } from "../../packages/runner/src/harness/index.ts";
import type { Harness } from "../../packages/runner/src/harness/types.ts";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, startModelServer } from "../fakes/model-server.ts";
import { api, type E2eServer, type Json, startE2eServer } from "./helpers.ts";
import {
  configure,
  createRun,
  eventsOf,
  inProcessHost,
  payloadsOf,
  untilEnded,
  untilRun,
} from "./runner-setup.ts";
import { ScriptedHost } from "./scripted-host.ts";

const WORKER = "e2e-gateway";
const CANARY = `sk-canary-${crypto.randomUUID()}`;

let s: E2eServer;
let dir: string;
let host: Host;
let model: ModelServer;
/** what the built-in harness was given, per run: its environment and catalog model */
const seen: string[] = [];

// the real `ambit` harness, wrapped to keep what it was handed
const watching: Harness = {
  type: "ambit",
  run(ctx) {
    seen.push(JSON.stringify({ env: ctx.env, model: ctx.model, config: ctx.config }));
    return createHarness("ambit")!.run(ctx);
  },
};

/** Each turn's usage, distinct so a dropped or doubled call shows; some cached. */
const USAGE = [
  { input: 1201, output: 31, cacheRead: 400, cacheWrite: 0 },
  { input: 1302, output: 42, cacheRead: 0, cacheWrite: 250 },
];

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-gateway" });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-gateway-"));
  model = await startModelServer((_req, i) =>
    i % 2 === 0
      ? {
          toolCalls: [{ name: "run_shell_command", args: { command: "echo gateway > g.txt" } }],
          usage: USAGE[0],
        }
      : { text: "Wrote g.txt.", usage: USAGE[1] },
  );
  const cfg = configure(s);
  await cfg.secret("MODEL_KEY", CANARY, "openai_api_key");
  host = await inProcessHost(s, dir, WORKER, { harnesses: { ambit: watching } });
}, 240_000);

afterAll(async () => {
  await host?.stop();
  await model?.close();
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const gateway = (token: string, p: string, body: Json) =>
  fetch(`${s.url}/api/v1/gateway${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": token },
    body: JSON.stringify(body),
  });

describe("the model gateway (wrangler dev, the real runner)", () => {
  for (const provider of ["openai", "anthropic"] as const) {
    it(`${provider}: the run's usage and cost are the model server's counts; no host sees the key`, async () => {
      const id = `gw-${provider}`;
      await configure(s).model(id, model.url, "MODEL_KEY", provider);
      // prices: $3 in, $15 out, $0.3 cache read, $3.75 cache write per million tokens
      const set = await api(s.url, "PUT", `/api/v1/agent/models/${id}`, {
        key: s.key,
        body: {
          provider,
          model: `${id}-model`,
          base_url: `${model.url}/v1`,
          api_key_secret: "MODEL_KEY",
          prices: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
        },
      });
      expect(set.status, set.text).toBe(200);
      const from = model.requests.length;
      const runId = await createRun(s, "Write g.txt", WORKER, { model_id: id });
      const run = await untilEnded(s, runId, 60_000);
      const events = await eventsOf(s, runId);
      expect(run.state, JSON.stringify(events).slice(-2000)).toBe("SUCCEEDED");

      // the key went to the model server through the gateway, and nowhere a host sees
      const calls = model.requests.slice(from);
      expect(calls).toHaveLength(2);
      for (const c of calls)
        expect(String(c.headers.authorization ?? c.headers["x-api-key"])).toContain(CANARY);
      const given = seen.at(-1)!;
      expect(given).toContain("/api/v1/gateway");
      expect(given).not.toContain(CANARY);
      expect(JSON.stringify(events)).not.toContain(CANARY);

      // usage: one gateway event per call, the harness's own not counted again
      const usage = payloadsOf(events, "usage");
      expect(usage.map((u) => u.source)).toEqual(["gateway", "gateway"]);
      // OpenAI's APIs report no cache writes (the model server says none): only Anthropic's count
      const writes = provider === "anthropic" ? 250 : 0;
      const tokens = USAGE.reduce((n, u) => n + u.input + u.output + u.cacheRead, 0) + writes;
      // micro-USD per part, rounded per call:
      // (1201×3 + 31×15 + 400×0.3) and (1302×3 + 42×15 + 250×3.75)
      const micros = [3603 + 465 + 120, 3906 + 630 + (writes ? 938 : 0)];
      const r = run.request_usage;
      expect(r.total_tokens).toBe(tokens);
      expect(r.model_calls).toBe(2);
      expect(Math.round(r.inference_cost_usd * 1e6)).toBe(micros[0] + micros[1]);
      expect(r.usage_by_category.primary_agent.byok_inference_usage[id].token_count).toEqual({
        input: 1201 + 1302,
        output: 31 + 42,
        input_cache_read: 400,
        input_cache_write: writes,
      });
      expect(usage.map((u) => Math.round(u.cost_usd * 1e6))).toEqual(micros);
      expect(r.compute_time).toMatch(/^PT/);
    }, 120_000);
  }

  it("the raw assignment holds no model key; the run's credential is refused once it ended or was cancelled", async () => {
    const scripted = await ScriptedHost.connect(s.url, s.key, "e2e-gateway-scripted", 2);
    try {
      const body = { model: "gw-openai-model", messages: [{ role: "user", content: "hi" }] };
      for (const end of ["completed", "cancelled"] as const) {
        const runId = await createRun(s, `end by ${end}`, "e2e-gateway-scripted", {
          model_id: "gw-openai",
        });
        const a = await scripted.take(runId);
        expect(JSON.stringify(a)).not.toContain(CANARY);
        expect(a.secrets.map((x: Json) => x.name)).not.toContain("MODEL_KEY");
        expect(a.gateway.path).toBe("/api/v1/gateway");
        await untilRun(s, runId, (r) => r.state === "INPROGRESS");
        const live = await gateway(a.gateway.token, "/openai/v1/chat/completions", body);
        expect(live.status, await live.clone().text()).toBe(200);
        if (end === "completed") scripted.complete(runId);
        else {
          const c = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/cancel`, { key: s.key });
          expect(c.status, c.text).toBeLessThan(300);
          scripted.send("task_failed", { task_id: runId, task_state: "CANCELLED", message: "ok" });
        }
        await untilEnded(s, runId);
        const refused = await gateway(a.gateway.token, "/openai/v1/chat/completions", body);
        expect(refused.status).toBe(401);
        expect(refused.headers.get("content-type")).toContain("application/problem+json");
        expect((await refused.json()).detail).toMatch(/no longer grants anything/);
      }
    } finally {
      scripted.close();
    }
  }, 120_000);
});
