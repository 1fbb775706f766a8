import type { AuditEntry } from "@ambit/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, newTeam } from "../helpers/api.ts";
import { eventually, TestHost } from "../helpers/hosts.ts";
import { createWebhookIntegration, deliver, processed } from "../helpers/integrations.ts";
import {
  createSchedule,
  expectRuns,
  fireCron,
  nextRunOf,
  pauseAllSchedules,
  runsOfSchedule,
} from "../helpers/schedules.ts";
import { advance, createRun, RUNS } from "../helpers/runs.ts";
import { tokenFor } from "../helpers/sockets.ts";
import { ORIGIN, signIn } from "../helpers/web-sessions.ts";

// Security events outside plain API writes, and the changes writes note.

vi.setConfig({ testTimeout: 30_000 });
afterEach(pauseAllSchedules);

async function log(key: string, query = ""): Promise<AuditEntry[]> {
  const res = await call("GET", `/api/v1/audit-log?limit=200${query}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json.entries;
}

describe("audit events", () => {
  it("console sign-in, a refused sign-in with a revoked key, and sign-out", async () => {
    const t = await newTeam();
    const token = await signIn(t.key);
    const minted = await call("POST", "/api/v1/api-keys", { key: t.key, body: { name: "old" } });
    await call("DELETE", `/api/v1/api-keys/${minted.json.uid}`, { key: t.key });
    const refused = await call("POST", "/auth/sign-in", {
      body: { api_key: minted.json.key },
      headers: { origin: ORIGIN, "user-agent": "browser/1" },
    });
    expect(refused.status).toBe(401);
    const out = await call("POST", "/auth/sign-out", {
      headers: { origin: ORIGIN, cookie: `ambit_session=${token}` },
    });
    expect(out.status).toBe(204);
    const entries = await log(t.key, "&action=auth.");
    expect(entries.map((e) => e.action)).toEqual([
      "auth.sign_out",
      "auth.sign_in_failed",
      "auth.sign_in",
    ]);
    expect(entries[2]).toMatchObject({
      actor: { type: "member", id: t.userId },
      changes: { via: { after: "key" } },
    });
    expect(entries[1]).toMatchObject({
      actor: { type: "key", id: minted.json.uid, member_id: t.userId },
      user_agent: "browser/1",
    });
    expect(entries[0]).toMatchObject({ actor: { type: "member", id: t.userId } });
  });

  it("a host connecting to its pool and leaving it", async () => {
    const t = await newTeam();
    const host = await TestHost.connect(t.key, "build-box");
    host.close();
    const entries = await eventually("host.connect and host.disconnect", async () => {
      const e = await log(t.key, "&action=host.");
      return e.length === 2 ? e : undefined;
    });
    expect(entries.map((e) => e.action)).toEqual(["host.disconnect", "host.connect"]);
    expect(entries[1]).toMatchObject({
      actor: { type: "host", name: "build-box", member_id: t.userId },
      target: { type: "pool", id: "build-box" },
    });
  });

  it("a file the run's host uploads with its HOST token (no key, no session)", async () => {
    const t = await newTeam();
    const runId = await createRun(t.key, { prompt: "p" });
    await advance({ runId, teamId: t.teamId }, "dispatch", "claim", "start");
    const token = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const up = await call(
      "POST",
      `${RUNS}/${runId}/artifacts/files?filename=a.txt&filepath=a.txt`,
      {
        raw: "hello",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
      },
    );
    expect(up.status, up.text).toBe(201);
    const [entry] = await log(t.key, "&action=artifact.");
    expect(entry).toMatchObject({
      action: "artifact.upload",
      actor: { type: "host", id: `run:${runId}` },
      target: { type: "run", id: runId },
    });
  });

  it("a run a schedule started names the schedule as its actor", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, { name: "Nightly", prompt: "Check" });
    await fireCron(await nextRunOf(t.key, s.id));
    await expectRuns([s.id], 1);
    const [run] = await runsOfSchedule(s.id);
    const [entry] = await log(t.key, "&action=run.create");
    expect(entry).toMatchObject({
      actor: { type: "schedule", id: s.id, name: "Nightly" },
      target: { type: "run", id: run!.id },
    });
  });

  it("a run an integration's delivery started names the integration as its actor", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key, { name: "tickets" });
    const res = await deliver(uid, secret, { type: "ticket.created" });
    expect(res.status, res.text).toBe(202);
    const d = await processed(t.key, uid, res.json.delivery_id);
    expect(d.outcome).toBe("run_created");
    const [entry] = await log(t.key, "&action=run.create");
    expect(entry).toMatchObject({
      actor: { type: "integration", id: uid, name: "tickets" },
      target: { type: "run", id: d.run_id },
      changes: { delivery: { after: res.json.delivery_id } },
    });
  });

  it("writes note their changes: secrets by name only, environments field by field", async () => {
    const t = await newTeam();
    const secret = { name: "NPM_TOKEN", value: "npm_secret_value", type: "raw_value" };
    expect((await call("POST", "/api/v1/agent/secrets", { key: t.key, body: secret })).status).toBe(
      201,
    );
    const env = await call("POST", "/api/v1/agent/environments", {
      key: t.key,
      body: { name: "web", setup_commands: ["npm ci"] },
    });
    await call("PUT", `/api/v1/agent/environments/${env.json.uid}`, {
      key: t.key,
      body: { name: "web", setup_commands: ["npm ci", "npm test"] },
    });
    await call("PATCH", "/api/v1/team", { key: t.key, body: { audit_retention_days: 30 } });
    const [team, update, create, created] = await log(t.key);
    expect(created).toMatchObject({
      action: "secret.create",
      target: { type: "secret", id: "NPM_TOKEN" },
      changes: { name: { after: "NPM_TOKEN" }, value: { after: "(set)" } },
    });
    expect(JSON.stringify(created)).not.toContain("npm_secret_value");
    expect(create).toMatchObject({ action: "environment.create", target: { id: env.json.uid } });
    expect(update).toMatchObject({
      action: "environment.update",
      changes: {
        "config.setup_commands": { before: ["npm ci"], after: ["npm ci", "npm test"] },
      },
    });
    expect(Object.keys(update!.changes!)).toEqual(["config.setup_commands"]);
    expect(team).toMatchObject({
      action: "team.update",
      changes: { audit_retention_days: { before: 400, after: 30 } },
    });
  });
});
