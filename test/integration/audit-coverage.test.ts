import { OpenAPIHono } from "@hono/zod-openapi";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { AUDIT_ROUTES, auditRouteOf, fallbackAuditAction } from "../../src/lib/audit-actions.ts";
import { auditWrites } from "../../src/middleware/audit.ts";
import type { AppEnv } from "../../src/middleware/types.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import { receiverEndpoint } from "../helpers/webhooks.ts";

// The proof that every write is recorded, in three parts:
// 1. every write operation of the OpenAPI document has its action in the route table, and the
//    table names no operation the document lacks;
// 2. the app's router runs the audit middleware before the handler of every one of them (so a
//    route added later is recorded too, under its table action or a derived one);
// 3. real calls: each write below succeeds and leaves exactly its table's action as the newest
//    entry. The few operations not called here are listed with where they are tested instead.

const WRITE = new Set(["post", "put", "patch", "delete"]);

async function writeOperations(): Promise<string[]> {
  const doc = (await call("GET", "/api/v1/openapi.json")).json as Json;
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>))
    for (const method of Object.keys(item))
      if (WRITE.has(method)) ops.push(`${method.toUpperCase()} ${path}`);
  return ops.sort();
}

/** Write operations exercised elsewhere, and why not in the sample below. */
const TESTED_ELSEWHERE: Record<string, string> = {
  "POST /integrations/{uid}/events": "audit-events.test.ts: the run it creates, by the integration",
  "POST /auth/sign-in": "audit-events.test.ts: success and failure",
  "POST /auth/sign-out": "audit-events.test.ts",
  "POST /agent/runs/{runId}/local/claim": "needs a LOCAL run claimed by the CLI (runs-local)",
  "POST /agent/runs/{runId}/local/report": "needs a claimed LOCAL run (runs-local)",
  "POST /agent/runs/{runId}/local-executions": "needs an ended run of the caller (runs-local)",
  "POST /agent/runs/{runId}/artifacts": "needs the run's host token (artifacts.test.ts)",
  "POST /agent/runs/{runId}/artifacts/files": "audit-events.test.ts: by the run's HOST token",
  "PUT /agent/runs/{runId}/checkpoints/{checkpointId}": "checkpoints.test.ts: by the HOST token",
  "POST /agent/skills": "needs a repository the host lists skills from (skills.test.ts)",
  "PATCH /agent/skills": "needs a registered skill (skills.test.ts)",
  "DELETE /agent/skills": "needs a registered skill (skills.test.ts)",
  "POST /integrations/{uid}/deliveries/{deliveryId}/redeliver": "needs a failed delivery",
  "POST /webhooks/{uid}/deliveries/{id}/resend": "needs a finished delivery",
  "DELETE /auth/sessions/{uid}": "needs a console session (web-sessions.test.ts)",
  "POST /agent/secrets/rotate": "rotates the team's data key (secrets.test.ts)",
  "PUT /team/sso":
    "needs an OpenID provider's discovery (test/e2e/sso.test.ts); the middleware records it as every write (router test above)",
  "DELETE /team/sso":
    "needs a configured provider (test/e2e/sso.test.ts); recorded by the middleware",
  "POST /integrations/{uid}/install-link":
    "needs PUBLIC_URL, which the worker tests leave unset (test/e2e/slack-integration.test.ts installs); recorded by the middleware",
  "PATCH /platform/teams/{uid}/limits":
    "needs the operator's PLATFORM_ADMIN_TOKEN (team-rate-limits.test.ts checks its entry)",
  "POST /auth/device/code": "no credential, no team: nothing to record until the approval",
  "POST /auth/device/token": "no credential: the approval that minted the key is the entry",
};

type Step = { op: string; path: string; body?: unknown; keep?: string };

describe("every write route records an audit entry", () => {
  it("the route table names every write operation of the OpenAPI document, and no other", async () => {
    const ops = await writeOperations();
    expect(ops.filter((op) => !AUDIT_ROUTES[op])).toEqual([]);
    expect(Object.keys(AUDIT_ROUTES).filter((op) => !ops.includes(op))).toEqual([]);
  });

  it("the router runs the audit middleware before the handler of every /api/v1 write", async () => {
    const app = createApp();
    const uncovered: string[] = [];
    for (const op of await writeOperations()) {
      if (AUDIT_ROUTES[op]?.recordedBy) continue;
      const [method, path] = op.split(" ") as [string, string];
      const concrete = `/api/v1${path.replace(/\{[^}]+\}/g, "x1")}`;
      // Hono's router answers [[handler, route], params] for each matched middleware and handler
      type Matched = [[unknown, { handler: unknown }], unknown][];
      const [matched] = app.router.match(method, concrete) as unknown as [Matched];
      const handlers = matched.flatMap(([[h, route]]) => [h, route.handler]);
      if (!handlers.includes(auditWrites)) uncovered.push(op);
    }
    expect(uncovered).toEqual([]);
  });

  it("a write route the table does not know is recorded under a derived action", async () => {
    const t = await newTeam();
    const app = new OpenAPIHono<AppEnv>();
    app.use("*", async (c, next) => {
      c.set("requestId", "r1");
      c.set("auth", {
        teamId: t.teamId,
        actor: { type: "user", id: t.userId, role: "owner", keyId: "k1", personal: true },
      });
      await next();
    });
    app.use("*", auditWrites);
    app.post("/api/v1/agent/widgets/:id/polish", (c) => c.json({ ok: true }));
    const res = await app.request("/api/v1/agent/widgets/w7/polish", { method: "POST" }, env);
    expect(res.status).toBe(200);
    const log = (await call("GET", "/api/v1/audit-log?limit=1", { key: t.key })).json.entries;
    expect(log[0]).toMatchObject({
      action: "widgets.polish.create",
      target: { type: "polish", id: "w7" },
    });
    expect(fallbackAuditAction("DELETE", "/things/{id}")).toBe("things.delete");
    expect(auditRouteOf("DELETE", "/things/{id}").known).toBe(false);
  });

  it("each write, called for real, leaves its table action as the newest entry", async () => {
    const t = await newTeam();
    const { url } = await receiverEndpoint();
    const ids: Record<string, string> = {};
    const steps: Step[] = [
      { op: "PATCH /team", path: "/team", body: { name: "renamed" } },
      { op: "PATCH /team/budget", path: "/team/budget", body: { monthly_usd: 100 } },
      {
        op: "POST /team/members",
        path: "/team/members",
        body: { email: `m-${crypto.randomUUID()}@example.com`, role: "viewer" },
        keep: "member",
      },
      { op: "PATCH /team/members/{uid}", path: "/team/members/:member", body: { role: "member" } },
      {
        op: "PUT /team/budget/members/{uid}",
        path: "/team/budget/members/:member",
        body: { monthly_usd: 10 },
      },
      { op: "DELETE /team/budget/members/{uid}", path: "/team/budget/members/:member" },
      { op: "POST /api-keys", path: "/api-keys", body: { name: "ci" }, keep: "key" },
      { op: "DELETE /api-keys/{uid}", path: "/api-keys/:key" },
      { op: "DELETE /team/members/{uid}", path: "/team/members/:member" },
      {
        op: "POST /agent/environments",
        path: "/agent/environments",
        body: { name: "e" },
        keep: "env",
      },
      {
        op: "PUT /agent/environments/{uid}",
        path: "/agent/environments/:env",
        body: { name: "e2" },
      },
      { op: "DELETE /agent/environments/{uid}", path: "/agent/environments/:env" },
      {
        op: "POST /agent/secrets",
        path: "/agent/secrets",
        body: { name: "GITHUB_TOKEN", value: "ghp_never_logged", type: "raw_value" },
      },
      {
        op: "PUT /agent/secrets/{name}",
        path: "/agent/secrets/GITHUB_TOKEN?scope=team",
        body: { value: "ghp_never_logged_2", type: "raw_value" },
      },
      { op: "DELETE /agent/secrets/{name}", path: "/agent/secrets/GITHUB_TOKEN?scope=team" },
      {
        op: "POST /agent/models",
        path: "/agent/models",
        body: { id: "m1", provider: "openai", model: "gpt-5" },
      },
      {
        op: "PUT /agent/models/{id}",
        path: "/agent/models/m1",
        body: { provider: "openai", model: "gpt-5.1" },
      },
      { op: "DELETE /agent/models/{id}", path: "/agent/models/m1" },
      {
        op: "POST /agent/mcp-servers",
        path: "/agent/mcp-servers",
        body: { name: "gh", config: { command: "npx", args: ["gh-mcp"] } },
        keep: "mcp",
      },
      {
        op: "PUT /agent/mcp-servers/{uid}",
        path: "/agent/mcp-servers/:mcp",
        body: { name: "gh", config: { command: "npx", args: ["gh-mcp2"] } },
      },
      { op: "DELETE /agent/mcp-servers/{uid}", path: "/agent/mcp-servers/:mcp" },
      {
        op: "POST /agent/rules",
        path: "/agent/rules",
        body: { name: "r", content: "c" },
        keep: "rule",
      },
      {
        op: "PUT /agent/rules/{uid}",
        path: "/agent/rules/:rule",
        body: { name: "r", content: "d" },
      },
      { op: "DELETE /agent/rules/{uid}", path: "/agent/rules/:rule" },
      {
        op: "POST /agent/prompts",
        path: "/agent/prompts",
        body: { name: "p", prompt: "x" },
        keep: "prompt",
      },
      {
        op: "PUT /agent/prompts/{uid}",
        path: "/agent/prompts/:prompt",
        body: { name: "p", prompt: "y" },
      },
      { op: "DELETE /agent/prompts/{uid}", path: "/agent/prompts/:prompt" },
      {
        op: "PUT /agent/env-vars/{name}",
        path: "/agent/env-vars/LOG_LEVEL",
        body: { value: "debug" },
      },
      { op: "DELETE /agent/env-vars/{name}", path: "/agent/env-vars/LOG_LEVEL" },
      {
        op: "POST /agent/identities",
        path: "/agent/identities",
        body: { name: "bot" },
        keep: "id",
      },
      {
        op: "PUT /agent/identities/{uid}",
        path: "/agent/identities/:id",
        body: { name: "bot2" },
      },
      { op: "DELETE /agent/identities/{uid}", path: "/agent/identities/:id" },
      {
        op: "POST /agent/schedules",
        path: "/agent/schedules",
        body: { name: "n", cron_schedule: "0 9 * * *", prompt: "p" },
        keep: "schedule",
      },
      {
        op: "PUT /agent/schedules/{scheduleId}",
        path: "/agent/schedules/:schedule",
        body: { name: "n2", cron_schedule: "0 10 * * *", prompt: "p", enabled: true },
      },
      { op: "POST /agent/schedules/{scheduleId}/pause", path: "/agent/schedules/:schedule/pause" },
      {
        op: "POST /agent/schedules/{scheduleId}/resume",
        path: "/agent/schedules/:schedule/resume",
      },
      { op: "DELETE /agent/schedules/{scheduleId}", path: "/agent/schedules/:schedule" },
      {
        op: "POST /webhooks",
        path: "/webhooks",
        body: { url, event_types: ["run.created"] },
        keep: "hook",
      },
      { op: "PATCH /webhooks/{uid}", path: "/webhooks/:hook", body: { description: "d" } },
      { op: "POST /webhooks/{uid}/test", path: "/webhooks/:hook/test" },
      { op: "DELETE /webhooks/{uid}", path: "/webhooks/:hook" },
      {
        op: "POST /integrations",
        path: "/integrations",
        body: { type: "webhook", name: "hook" },
        keep: "integration",
      },
      { op: "PATCH /integrations/{uid}", path: "/integrations/:integration", body: { name: "h2" } },
      { op: "DELETE /integrations/{uid}", path: "/integrations/:integration" },
      {
        op: "POST /integrations",
        path: "/integrations",
        body: {
          type: "slack",
          name: "slack",
          credentials: { signing_secret: "s".repeat(32), client_id: "1.2", client_secret: "c" },
        },
        keep: "slack",
      },
      { op: "POST /integrations/{uid}/link-codes", path: "/integrations/:slack/link-codes" },
      {
        op: "POST /service-accounts",
        path: "/service-accounts",
        body: { name: "ci", role: "member" },
        keep: "account",
      },
      {
        op: "PATCH /service-accounts/{uid}",
        path: "/service-accounts/:account",
        body: { role: "viewer" },
      },
      { op: "DELETE /service-accounts/{uid}", path: "/service-accounts/:account" },
      { op: "POST /agent/runs", path: "/agent/runs", body: { prompt: "hello" }, keep: "run" },
      { op: "POST /agent/run", path: "/agent/run", body: { prompt: "hello again" }, keep: "run2" },
      {
        op: "PATCH /agent/runs/{runId}/sharing",
        path: "/agent/runs/:run/sharing",
        body: { team: "VIEWER" },
      },
      { op: "POST /agent/runs/{runId}/session-token", path: "/agent/runs/:run/session-token" },
      {
        op: "POST /agent/runs/{runId}/followups",
        path: "/agent/runs/:run/followups",
        body: { message: "more" },
      },
      { op: "POST /agent/runs/{runId}/cancel", path: "/agent/runs/:run/cancel" },
      { op: "POST /agent/tasks/{taskId}/cancel", path: "/agent/tasks/:run2/cancel" },
    ];
    // `ambit login --web`: the CLI's code (no credential), then the person's approval
    const device = await call("POST", "/api/v1/auth/device/code", { body: { client_name: "ci" } });
    ids.device = device.json?.user_code;
    steps.push({
      op: "POST /auth/device/{user_code}",
      path: "/auth/device/:device",
      body: { approve: true },
    });
    const failures: string[] = [];
    for (const step of steps) {
      const path = step.path.replace(/:(\w+)/g, (_, k: string) => ids[k]!);
      const res = await call(step.op.split(" ")[0]!, `/api/v1${path}`, {
        key: t.key,
        body: step.body,
      });
      if (res.status >= 400) {
        failures.push(`${step.op}: ${res.status} ${res.text.slice(0, 200)}`);
        continue;
      }
      if (step.keep) ids[step.keep] = res.json.uid ?? res.json.id ?? res.json.run_id;
      const [newest] = (await call("GET", "/api/v1/audit-log?limit=1", { key: t.key })).json
        .entries;
      if (newest?.action !== AUDIT_ROUTES[step.op]!.action || newest.request_id === null)
        failures.push(`${step.op}: newest entry is ${newest?.action}`);
    }
    expect(failures).toEqual([]);
    // the sample and the list of those tested elsewhere account for every write operation
    const sampled = new Set(steps.map((s) => s.op).concat(["POST /teams"]));
    const unaccounted = (await writeOperations()).filter(
      (op) => !sampled.has(op) && !TESTED_ELSEWHERE[op],
    );
    expect(unaccounted).toEqual([]);
    // a secret's value is never in the log
    const exported = await call("GET", "/api/v1/audit-log/export", { key: t.key });
    expect(exported.text).not.toContain("ghp_never_logged");
  }, 60_000);
});
