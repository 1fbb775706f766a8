import { describe, expect, it } from "vitest";
import { call, callWithEnv, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";

const RUNS = "/api/v1/agent/runs";
const ADMIN_TOKEN = "platform-admin-token-0123456789abcdefghijkl";

/** The operator's defaults of this file: small enough to reach, large enough to lower. */
const env = {
  REQUESTS_PER_KEY_PER_MINUTE: "100",
  REQUESTS_PER_TEAM_PER_MINUTE: "1000",
  PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN,
} as never;
const limitsUrl = (teamId: string) => `/api/v1/platform/teams/${teamId}/limits`;
const asPlatform = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

async function burst(key: string, n: number) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await callWithEnv(env, "GET", RUNS, { key })).status);
  return statuses;
}

describe("a team's own rate limits", () => {
  it("GET /team shows the limits and their ceilings, the operator's vars by default", async () => {
    const t = await newTeam();
    const team = (await callWithEnv(env, "GET", "/api/v1/team", { key: t.key })).json as Json;
    expect(team.rate_limits.requests).toEqual({ per_key: 100, per_team: 1000 });
    expect(team.rate_limit_ceilings.requests).toEqual({ per_key: 100, per_team: 1000 });
  });

  it("an admin lowers them, effective on the next request; never above the ceiling", async () => {
    const t = await newTeam();
    const patch = (body: unknown, key = t.key) =>
      callWithEnv(env, "PATCH", "/api/v1/team", { key, body: { rate_limits: body } });
    const above = await patch({ requests: { per_key: 101 } });
    expect(expectProblem(above, 400, "invalid_request").detail).toMatch(
      /rate_limits\.requests\.per_key 101 is above this team's ceiling of 100.*REQUESTS_PER_KEY_PER_MINUTE/,
    );
    const member = (await memberKey(t.key, "member")).key;
    expectProblem(await patch({ requests: { per_key: 2 } }, member), 403, "not_authorized");

    const lowered = await patch({ requests: { per_key: 3 } });
    expect(lowered.status, lowered.text).toBe(200);
    expect(lowered.json.rate_limits.requests).toEqual({ per_key: 3, per_team: 1000 });
    const log = await call("GET", "/api/v1/audit-log?action=team.update&limit=5", { key: t.key });
    expect(log.json.entries[0].changes["rate_limits.requests.per_key"]).toEqual({
      before: 100,
      after: 3,
    });
    // the new limit starts its bucket over (the audit-log read above took one)
    expect(await burst(t.key, 3)).toEqual([200, 200, 429]);
    const refused = await callWithEnv(env, "GET", RUNS, { key: t.key });
    expect(refused.headers.get("ratelimit-policy")).toMatch(/^"key-requests";q=3;w=60/);
    expect((await callWithEnv(env, "GET", RUNS, { key: member })).status).toBe(200);
  });
});

describe("the platform admin", () => {
  it("is nobody without PLATFORM_ADMIN_TOKEN, and refuses another token or an API key", async () => {
    const t = await newTeam();
    const none = await callWithEnv(
      { PLATFORM_ADMIN_TOKEN: undefined } as never,
      "GET",
      limitsUrl(t.teamId),
      asPlatform,
    );
    expect(expectProblem(none, 404, "resource_not_found").detail).toMatch(/PLATFORM_ADMIN_TOKEN/);
    const wrong = await callWithEnv(env, "GET", limitsUrl(t.teamId), {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
    });
    expectProblem(wrong, 401, "authentication_required");
    const key = await callWithEnv(env, "GET", limitsUrl(t.teamId), { key: t.key });
    expectProblem(key, 401, "authentication_required");
    const body = { rate_limit_ceilings: { requests: { per_key: 500 } } };
    const keyWrite = await callWithEnv(env, "PATCH", limitsUrl(t.teamId), { key: t.key, body });
    expectProblem(keyWrite, 401, "authentication_required");
  });

  it("raises one team's ceilings; its admins may then set up to them; audited", async () => {
    const t = await newTeam();
    const other = await newTeam();
    const raise = (teamId: string, body: unknown) =>
      callWithEnv(env, "PATCH", limitsUrl(teamId), { ...asPlatform, body });
    const raised = await raise(t.teamId, { rate_limit_ceilings: { requests: { per_key: 500 } } });
    expect(raised.status, raised.text).toBe(200);
    expect(raised.json).toMatchObject({
      team_uid: t.teamId,
      rate_limits: { requests: { per_key: 500, per_team: 1000 } },
      rate_limit_ceilings: { requests: { per_key: 500, per_team: 1000 } },
    });
    const mine = await callWithEnv(env, "GET", "/api/v1/team", { key: t.key });
    expect(mine.json.rate_limits.requests.per_key).toBe(500);
    const theirs = await callWithEnv(env, "GET", "/api/v1/team", { key: other.key });
    expect(theirs.json.rate_limits.requests.per_key).toBe(100); // one team only
    const set = await callWithEnv(env, "PATCH", "/api/v1/team", {
      key: t.key,
      body: { rate_limits: { requests: { per_key: 400 } } },
    });
    expect(set.status, set.text).toBe(200);
    // lowering the ceiling again caps what the team set, at once
    const capped = await raise(t.teamId, { rate_limit_ceilings: { requests: { per_key: 200 } } });
    expect(capped.json.rate_limits.requests.per_key).toBe(200);
    const reset = await raise(t.teamId, { rate_limit_ceilings: { requests: { per_key: null } } });
    expect(reset.json.rate_limit_ceilings.requests.per_key).toBe(100);

    const log = await call("GET", "/api/v1/audit-log?action=team.rate_ceilings_update&limit=5", {
      key: t.key,
    });
    expect(log.json.entries).toHaveLength(3);
    expect(log.json.entries.at(-1)).toMatchObject({
      actor: { type: "platform", id: "platform-admin" },
      target: { type: "team", id: t.teamId },
      changes: { "ceilings.requests.per_key": { before: 100, after: 500 } },
    });
    const missing = await callWithEnv(env, "GET", limitsUrl("no-such-team"), asPlatform);
    expectProblem(missing, 404, "resource_not_found");
  });
});
