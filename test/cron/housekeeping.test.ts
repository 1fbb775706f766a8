import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { call, newTeam } from "../helpers/api.ts";

/** Fires the Worker's every-minute Cron Trigger at `scheduledTime` and waits for its work. */
async function fireCron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function insertRecord(scope: string, key: string, expiresAt: number) {
  await env.DB.prepare(
    "INSERT INTO idempotency_keys (scope, key, request_hash, status, response_status, response_body, locked_until, created_at, expires_at) VALUES (?, ?, 'h', 'completed', 200, '{}', 0, 0, ?)",
  )
    .bind(scope, key, expiresAt)
    .run();
}

async function keysOf(scope: string) {
  const { results } = await env.DB.prepare(
    "SELECT key FROM idempotency_keys WHERE scope = ? ORDER BY key",
  )
    .bind(scope)
    .all<{ key: string }>();
  return results.map((r) => r.key);
}

describe("scheduled housekeeping", () => {
  it("prunes idempotency records past their window and keeps the fresh ones", async () => {
    const scope = `cron-${crypto.randomUUID()}`;
    const now = Date.now();
    await insertRecord(scope, "a-expired-long-ago", now - 2 * 86_400_000);
    await insertRecord(scope, "b-expired-just-now", now);
    await insertRecord(scope, "c-fresh", now + 60_000);
    await insertRecord(scope, "d-fresh-for-a-day", now + 86_400_000);
    await fireCron(now);
    expect(await keysOf(scope)).toEqual(["c-fresh", "d-fresh-for-a-day"]);
  });

  it("judges expiry by the trigger's scheduled time", async () => {
    const scope = `cron-${crypto.randomUUID()}`;
    const now = Date.now();
    await insertRecord(scope, "soon", now + 30_000);
    await fireCron(now - 60_000);
    expect(await keysOf(scope)).toEqual(["soon"]);
  });

  it("frees a key used through the API once its record expired", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const headers = { "idempotency-key": key };
    expect(
      (await call("POST", "/api/v1/agent/runs", { key: t.key, body: { prompt: "first" }, headers }))
        .status,
    ).toBe(200);
    // stored under the key's hash, in the scope of the API key that sent it (`<team>/<key id>`)
    const { scope } = (await env.DB.prepare("SELECT scope FROM idempotency_keys WHERE scope LIKE ?")
      .bind(`${t.teamId}/%`)
      .first<{ scope: string }>())!;
    expect(await keysOf(scope)).toHaveLength(1);
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ? WHERE scope = ?")
      .bind(Date.now() - 1, scope)
      .run();
    await fireCron(Date.now());
    expect(await keysOf(scope)).toEqual([]);
    const again = await call("POST", "/api/v1/agent/runs", {
      key: t.key,
      body: { prompt: "second" },
      headers,
    });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
  });
});
