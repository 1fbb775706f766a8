import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { unseal } from "../../src/lib/seal.ts";
import { call, expectProblem, newTeam } from "../helpers/api.ts";

const runs = "/api/v1/agent/runs";
const idem = (key: string) => ({ "idempotency-key": key });

async function runCount(teamId: string) {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM runs WHERE team_id = ?")
    .bind(teamId)
    .first<{ n: number }>();
  return row!.n;
}

async function sha256Hex(s: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The scope of the records an API key makes: its team and its id. */
async function scopeOf(t: { teamId: string; key: string }) {
  const row = await env.DB.prepare("SELECT id FROM api_keys WHERE key_hash = ?")
    .bind(await sha256Hex(t.key))
    .first<{ id: string }>();
  return `${t.teamId}/${row!.id}`;
}

describe("Idempotency-Key on run creation", () => {
  it("answers the same key and body with the first response, marked replayed, and creates one run", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const first = await call("POST", runs, {
      key: t.key,
      body: { prompt: "once" },
      headers: idem(key),
    });
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await call("POST", runs, {
      key: t.key,
      body: { prompt: "once" },
      headers: idem(key),
    });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toMatch(/^application\/json/);
    expect(again.json).toEqual(first.json);
    expect(await runCount(t.teamId)).toBe(1);
  });

  it("answers the same key with a different body with 422 idempotency_key_reused, not to be retried", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    expect(
      (await call("POST", runs, { key: t.key, body: { prompt: "first" }, headers: idem(key) }))
        .status,
    ).toBe(200);
    const res = await call("POST", runs, {
      key: t.key,
      body: { prompt: "second" },
      headers: idem(key),
    });
    expectProblem(res, 422, "idempotency_key_reused");
    expect(res.headers.get("x-should-retry")).toBe("false");
    // the same body on another path is another request too
    expectProblem(
      await call("POST", "/api/v1/agent/run", {
        key: t.key,
        body: { prompt: "first" },
        headers: idem(key),
      }),
      422,
      "idempotency_key_reused",
    );
    expect(await runCount(t.teamId)).toBe(1);
  });

  it("keeps teams apart: two teams may use the same key", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const key = crypto.randomUUID();
    const ra = await call("POST", runs, {
      key: a.key,
      body: { prompt: "same" },
      headers: idem(key),
    });
    const rb = await call("POST", runs, {
      key: b.key,
      body: { prompt: "same" },
      headers: idem(key),
    });
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect(rb.json.run_id).not.toBe(ra.json.run_id);
    expect(await runCount(a.teamId)).toBe(1);
    expect(await runCount(b.teamId)).toBe(1);
  });

  it("stores a final 4xx answer and replays it consistently", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const first = await call("POST", runs, {
      key: t.key,
      body: { title: "no prompt" },
      headers: idem(key),
    });
    const problem = expectProblem(first, 400, "invalid_request");
    const again = await call("POST", runs, {
      key: t.key,
      body: { title: "no prompt" },
      headers: idem(key),
    });
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect(again.headers.get("x-should-retry")).toBe("false");
    expect(again.json).toEqual(problem);
    // the key is spent on that request: a corrected body needs a new key
    expectProblem(
      await call("POST", runs, { key: t.key, body: { prompt: "fixed" }, headers: idem(key) }),
      422,
      "idempotency_key_reused",
    );
    expect(await runCount(t.teamId)).toBe(0);
  });

  it("creates exactly one run from concurrent identical requests", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call("POST", runs, { key: t.key, body: { prompt: "racing" }, headers: idem(key) }),
      ),
    );
    for (const r of results) {
      expect([200, 409], r.text).toContain(r.status);
      if (r.status === 409) {
        expect(r.json.error_code).toBe("conflict");
        expect(r.headers.get("x-should-retry")).toBe("true"); // still running: a retry is right
      }
    }
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.json.run_id)).size).toBe(1);
    expect(await runCount(t.teamId)).toBe(1);
    // once settled, a retry replays the one run
    const retry = await call("POST", runs, {
      key: t.key,
      body: { prompt: "racing" },
      headers: idem(key),
    });
    expect(retry.json.run_id).toBe(ok[0].json.run_id);
  });

  it("lets an expired key be used afresh", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const first = await call("POST", runs, {
      key: t.key,
      body: { prompt: "yesterday" },
      headers: idem(key),
    });
    expect(first.status).toBe(200);
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ? WHERE scope = ? AND key = ?")
      .bind(Date.now() - 1, await scopeOf(t), await sha256Hex(key))
      .run();
    const fresh = await call("POST", runs, {
      key: t.key,
      body: { prompt: "today" },
      headers: idem(key),
    });
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(fresh.json.run_id).not.toBe(first.json.run_id);
    expect(await runCount(t.teamId)).toBe(2);
  });

  it("answers a retryable 409 while the first request holds the key, and takes over once its lock expired", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const body = { prompt: "the first attempt died" };
    const requestHash = await sha256Hex(`${key}\nPOST ${runs}\n${JSON.stringify(body)}`); // as the middleware computes it
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, status, locked_until, created_at, expires_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
    )
      .bind(
        await scopeOf(t),
        await sha256Hex(key),
        requestHash,
        now + 60_000,
        now,
        now + 86_400_000,
      )
      .run();

    const busy = await call("POST", runs, { key: t.key, body, headers: idem(key) });
    expectProblem(busy, 409, "conflict");
    expect(busy.headers.get("x-should-retry")).toBe("true");
    expect(await runCount(t.teamId)).toBe(0);

    await env.DB.prepare("UPDATE idempotency_keys SET locked_until = ? WHERE scope = ? AND key = ?")
      .bind(now - 1, await scopeOf(t), await sha256Hex(key))
      .run();
    const taken = await call("POST", runs, { key: t.key, body, headers: idem(key) });
    expect(taken.status, taken.text).toBe(200);
    expect(taken.headers.get("idempotent-replayed")).toBeNull();
    const replay = await call("POST", runs, { key: t.key, body, headers: idem(key) });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.run_id).toBe(taken.json.run_id);
    expect(await runCount(t.teamId)).toBe(1);
  });

  it("replays a cancel instead of refusing the already-cancelled run", async () => {
    const t = await newTeam();
    const created = await call("POST", runs, { key: t.key, body: { prompt: "cancel me" } });
    const key = crypto.randomUUID();
    const first = await call("POST", `${runs}/${created.json.run_id}/cancel`, {
      key: t.key,
      headers: idem(key),
    });
    expect(first.status, first.text).toBe(200);
    const again = await call("POST", `${runs}/${created.json.run_id}/cancel`, {
      key: t.key,
      headers: idem(key),
    });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toBe(created.json.run_id);
    // without the key, the second cancel is refused: the run has ended
    expectProblem(
      await call("POST", `${runs}/${created.json.run_id}/cancel`, { key: t.key }),
      400,
      "invalid_request",
    );
  });

  it("refuses a malformed Idempotency-Key with 400 naming the header", async () => {
    const t = await newTeam();
    for (const bad of ["", "has space", "x".repeat(256)]) {
      const problem = expectProblem(
        await call("POST", runs, { key: t.key, body: { prompt: "x" }, headers: idem(bad) }),
        400,
        "invalid_request",
      );
      expect(problem.errors[0].path).toBe("header.Idempotency-Key");
    }
    expect(await runCount(t.teamId)).toBe(0);
  });
});

describe("Idempotency-Key on other POST routes", () => {
  it("answers a signup retry (unauthenticated, scope public) with a final 409 instead of the owner's key, creating no second team", async () => {
    const key = crypto.randomUUID();
    const name = `idem-${key}`;
    const body = { name, owner: { email: `${key}@example.com` } };
    const first = await call("POST", "/api/v1/teams", { body, headers: idem(key) });
    expect(first.status, first.text).toBe(201);
    const again = await call("POST", "/api/v1/teams", { body, headers: idem(key) });
    expectProblem(again, 409, "conflict");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("x-should-retry")).toBe("false");
    expect(again.text).not.toContain(first.json.api_key);
    const teams = await env.DB.prepare("SELECT count(*) AS n FROM teams WHERE name = ?")
      .bind(name)
      .first<{ n: number }>();
    expect(teams!.n).toBe(1);
    expectProblem(
      await call("POST", "/api/v1/teams", {
        body: { ...body, name: `${name}-2` },
        headers: idem(key),
      }),
      422,
      "idempotency_key_reused",
    );
  });

  it("answers an API key creation retry with a final 409 instead of the secret, minting no second key", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const first = await call("POST", "/api/v1/api-keys", {
      key: t.key,
      body: { name: "ci" },
      headers: idem(key),
    });
    expect(first.status, first.text).toBe(201);
    const again = await call("POST", "/api/v1/api-keys", {
      key: t.key,
      body: { name: "ci" },
      headers: idem(key),
    });
    expect(expectProblem(again, 409, "conflict").detail).toMatch(/GET \/api\/v1\/api-keys/);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).not.toContain(first.json.key);
    expect((await call("GET", "/api/v1/api-keys", { key: t.key })).json.api_keys).toHaveLength(2);
    // the stored record holds neither the client's key nor the minted secret, even opened with the client's key
    const stored = await env.DB.prepare(
      "SELECT key, response_body FROM idempotency_keys WHERE scope = ?",
    )
      .bind(await scopeOf(t))
      .all<{ key: string; response_body: string }>();
    expect(stored.results).toHaveLength(1);
    expect(stored.results[0].key).toBe(await sha256Hex(key));
    expect(await unseal(key, stored.results[0].response_body)).not.toContain(first.json.key);
    expectProblem(
      await call("POST", "/api/v1/api-keys", {
        key: t.key,
        body: { name: "cd" },
        headers: idem(key),
      }),
      422,
      "idempotency_key_reused",
    );
  });

  it("runs an attach token request again on a retry (its answer is never stored)", async () => {
    const t = await newTeam();
    const run = await call("POST", runs, { key: t.key, body: { prompt: "watch me" } });
    const key = crypto.randomUUID();
    const first = await call("POST", `${runs}/${run.json.run_id}/session-token`, {
      key: t.key,
      headers: idem(key),
    });
    const again = await call("POST", `${runs}/${run.json.run_id}/session-token`, {
      key: t.key,
      headers: idem(key),
    });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    const stored = await env.DB.prepare(
      "SELECT count(*) AS n FROM idempotency_keys WHERE scope = ?",
    )
      .bind(await scopeOf(t))
      .first<{ n: number }>();
    expect(stored!.n).toBe(0);
  });

  it("leaves a non-final 409 unstored, so the retry is judged afresh", async () => {
    const t = await newTeam();
    const address = `dup-${crypto.randomUUID()}@example.com`;
    expect(
      (await call("POST", "/api/v1/team/members", { key: t.key, body: { email: address } })).status,
    ).toBe(201);
    const key = crypto.randomUUID();
    const conflict = await call("POST", "/api/v1/team/members", {
      key: t.key,
      body: { email: address },
      headers: idem(key),
    });
    expectProblem(conflict, 409, "conflict");
    await call(
      "DELETE",
      `/api/v1/team/members/${conflict.json.detail.match(/members\/(\w+)/)[1]}`,
      { key: t.key },
    );
    const retry = await call("POST", "/api/v1/team/members", {
      key: t.key,
      body: { email: address },
      headers: idem(key),
    });
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });
});
