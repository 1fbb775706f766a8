// Finding 4: an idempotent replay answered whoever sent the same Idempotency-Key and body, before
// any permission check, and stored answers that carried secrets (new API keys, the signup key, a
// LOCAL claim's opened secrets and HOST token) in D1 for 24 h.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { unseal } from "../../src/lib/seal.ts";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, RUNS } from "../helpers/runs.ts";

const idem = (key: string) => ({ "idempotency-key": key });
const SECRET_VALUE = "personal-canary-value-4711";

/** A LOCAL run of the team owner with a personal secret, ready to be claimed. */
async function localRunWithSecret() {
  const t = await newTeam();
  const secret = await call("POST", "/api/v1/agent/secrets", {
    key: t.key,
    body: { name: "MY_TOKEN", value: SECRET_VALUE, scope: "personal" },
  });
  expect(secret.status, secret.text).toBe(201);
  const id = await createRun(
    t.key,
    { prompt: "here", execution_location: "LOCAL" },
    { "x-oz-api-source": "CLI" },
  );
  return { t, id };
}

describe("idempotent replays are bound to their caller and never carry a secret", () => {
  it("a viewer replaying an admin's key mint (same Idempotency-Key and body) gets the viewer's own 403, not the admin's key", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const viewer = await memberKey(t.key, "viewer");
    const key = crypto.randomUUID();
    const body = { name: "ci", role: "admin" };
    const minted = await call("POST", "/api/v1/api-keys", {
      key: admin.key,
      body,
      headers: idem(key),
    });
    expect(minted.status, minted.text).toBe(201);
    const replay = await call("POST", "/api/v1/api-keys", {
      key: viewer.key,
      body,
      headers: idem(key),
    });
    expectProblem(replay, 403, "not_authorized");
    expect(replay.headers.get("idempotent-replayed")).toBeNull();
    expect(replay.text).not.toContain(minted.json.key);
  });

  it("an anonymous replay of a signup does not hand out the owner's key", async () => {
    const key = crypto.randomUUID();
    const body = { name: `signup-${key}`, owner: { email: `${key}@example.com` } };
    const first = await call("POST", "/api/v1/teams", { body, headers: idem(key) });
    expect(first.status, first.text).toBe(201);
    const replay = await call("POST", "/api/v1/teams", { body, headers: idem(key) });
    expect(replay.text).not.toContain(first.json.api_key);
    const problem = expectProblem(replay, 409, "conflict");
    expect(problem.detail).toMatch(/shown only once/);
    expect(replay.headers.get("x-should-retry")).toBe("false");
    // and still one team: the retry created nothing
    const teams = await env.DB.prepare("SELECT count(*) AS n FROM teams WHERE name = ?")
      .bind(body.name)
      .first<{ n: number }>();
    expect(teams!.n).toBe(1);
  });

  it("a replay of a LOCAL claim hands out neither the run's secrets nor its HOST token", async () => {
    const { t, id } = await localRunWithSecret();
    const key = crypto.randomUUID();
    const claimed = await call("POST", `${RUNS}/${id}/local/claim`, {
      key: t.key,
      headers: idem(key),
    });
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.text).toContain(SECRET_VALUE);
    const replay = await call("POST", `${RUNS}/${id}/local/claim`, {
      key: t.key,
      headers: idem(key),
    });
    expect(replay.text).not.toContain(SECRET_VALUE);
    expect(replay.text).not.toContain(claimed.json.assignment.session.token);
    expectProblem(replay, 409, "conflict");
  });

  it("a stored LOCAL claim answer in D1 holds no secret value and no HOST token, even opened with the Idempotency-Key", async () => {
    const { t, id } = await localRunWithSecret();
    const key = crypto.randomUUID();
    const claimed = await call("POST", `${RUNS}/${id}/local/claim`, {
      key: t.key,
      headers: idem(key),
    });
    expect(claimed.status, claimed.text).toBe(200);
    const rows = await env.DB.prepare(
      "SELECT scope, response_body FROM idempotency_keys WHERE scope LIKE ?",
    )
      .bind(`${t.teamId}%`)
      .all<{ scope: string; response_body: string | null }>();
    expect(rows.results.length).toBeGreaterThan(0);
    for (const row of rows.results) {
      const opened = row.response_body ? await unseal(key, row.response_body) : "";
      expect(opened).not.toContain(SECRET_VALUE);
      expect(opened).not.toContain(claimed.json.assignment.session.token);
    }
  });

  it("a caller whose role fell since the first answer gets the 403 a fresh request gets, not the replay", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const key = crypto.randomUUID();
    const body = { email: `new-${key}@example.com`, role: "member" };
    expect(
      (await call("POST", "/api/v1/team/members", { key: admin.key, body, headers: idem(key) }))
        .status,
    ).toBe(201);
    expect(
      (
        await call("PATCH", `/api/v1/team/members/${admin.userId}`, {
          key: t.key,
          body: { role: "member" },
        })
      ).status,
    ).toBe(200);
    const replay = await call("POST", "/api/v1/team/members", {
      key: admin.key,
      body,
      headers: idem(key),
    });
    expectProblem(replay, 403, "not_authorized");
    expect(replay.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a removed member's replay is refused like any request of theirs (401)", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const key = crypto.randomUUID();
    expect(
      (await call("POST", RUNS, { key: member.key, body: { prompt: "x" }, headers: idem(key) }))
        .status,
    ).toBe(200);
    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: t.key })).status,
    ).toBe(204);
    expectProblem(
      await call("POST", RUNS, { key: member.key, body: { prompt: "x" }, headers: idem(key) }),
      401,
      "authentication_required",
    );
  });

  it("another key of the same team with the same Idempotency-Key and body is a new request, not a replay", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const key = crypto.randomUUID();
    const first = await call("POST", RUNS, {
      key: t.key,
      body: { prompt: "same" },
      headers: idem(key),
    });
    const other = await call("POST", RUNS, {
      key: member.key,
      body: { prompt: "same" },
      headers: idem(key),
    });
    expect([first.status, other.status]).toEqual([200, 200]);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(other.json.run_id).not.toBe(first.json.run_id);
  });

  it("a run's public link is not stored with its creation's answer", async () => {
    const t = await newTeam();
    const key = crypto.randomUUID();
    const body = { prompt: "share me", sharing: { public: "VIEWER" } };
    const first = await call("POST", RUNS, { key: t.key, body, headers: idem(key) });
    expect(first.status, first.text).toBe(200);
    expect(first.json.sharing.public_url).toMatch(/\/public\/runs\//);
    const replay = await call("POST", RUNS, { key: t.key, body, headers: idem(key) });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.run_id).toBe(first.json.run_id);
    expect(replay.text).not.toContain(first.json.sharing.public_url);
    expect(replay.json.sharing.public).toBe("VIEWER");
  });
});
