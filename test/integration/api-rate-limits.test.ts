import { describe, expect, it } from "vitest";
import { budgetOf } from "../../src/lib/api-rate-limits.ts";
import { callWithEnv, expectProblem, type Json, newTeam } from "../helpers/api.ts";

const RUNS = "/api/v1/agent/runs";
const KEYS = "/api/v1/api-keys";

/** The limits are the operator's (the suite sets them out of the way: vitest.config.ts). */
const limits = (over: Record<string, string>) =>
  ({
    REQUESTS_PER_KEY_PER_MINUTE: "1000",
    REQUESTS_PER_TEAM_PER_MINUTE: "1000",
    RUN_CREATES_PER_KEY_PER_MINUTE: "1000",
    RUN_CREATES_PER_TEAM_PER_MINUTE: "1000",
    ...over,
  }) as never;

async function mint(key: string, name: string) {
  const res = await callWithEnv(limits({}), "POST", KEYS, { key, body: { name } });
  expect(res.status, res.text).toBe(201);
  return (res.json as Json).key as string;
}

describe("rate limits per API key and per team", () => {
  it("puts each route in its budget", () => {
    expect(budgetOf("POST", "/agent/runs")).toBe("run_creates");
    expect(budgetOf("POST", "/agent/run")).toBe("run_creates");
    expect(budgetOf("POST", "/agent/runs/r1/followups")).toBe("followups");
    expect(budgetOf("POST", "/agent/runs/r1/session-token")).toBe("attaches");
    expect(budgetOf("GET", "/agent/runs")).toBe("requests");
    expect(budgetOf("POST", "/agent/runs/r1/cancel")).toBe("requests");
  });

  it("applies the documented defaults where the operator set nothing", async () => {
    const t = await newTeam();
    const unset = Object.fromEntries(
      ["RUN_CREATES", "FOLLOWUPS", "ATTACHES", "REQUESTS"].flatMap((b) =>
        ["KEY", "TEAM"].map((per) => [`${b}_PER_${per}_PER_MINUTE`, undefined]),
      ),
    );
    const res = await callWithEnv(unset as never, "GET", RUNS, { key: t.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-policy")).toBe(
      '"key-requests";q=1200;w=60, "team-requests";q=6000;w=60',
    );
    const created = await callWithEnv(unset as never, "POST", RUNS, {
      key: t.key,
      body: { prompt: "x" },
    });
    expect(created.headers.get("ratelimit-policy")).toBe(
      '"key-run_creates";q=300;w=60, "team-run_creates";q=1200;w=60',
    );
  });

  it("a key past its budget gets 429 with Retry-After and RateLimit headers; another key is unaffected", async () => {
    const t = await newTeam();
    const other = await mint(t.key, "other");
    const env = limits({ REQUESTS_PER_KEY_PER_MINUTE: "3" });
    for (let i = 0; i < 3; i++) {
      const ok = await callWithEnv(env, "GET", RUNS, { key: t.key });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe(
        '"key-requests";q=3;w=60, "team-requests";q=1000;w=60',
      );
      expect(ok.headers.get("ratelimit")).toMatch(
        new RegExp(`^"key-requests";r=${2 - i};t=\\d+, "team-requests";r=\\d+;t=\\d+$`),
      );
    }
    const refused = await callWithEnv(env, "GET", RUNS, { key: t.key });
    const problem = expectProblem(refused, 429, "rate_limited");
    expect(problem.detail).toMatch(/REQUESTS_PER_KEY_PER_MINUTE/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit")).toMatch(/^"key-requests";r=0;/);
    expect((await callWithEnv(env, "GET", RUNS, { key: other })).status).toBe(200);
    // another budget of the same key is its own
    const created = await callWithEnv(env, "POST", RUNS, { key: t.key, body: { prompt: "x" } });
    expect(created.status, created.text).toBe(200);
  });

  it("a team past its budget refuses all its keys; another team is unaffected", async () => {
    const t = await newTeam();
    const second = await mint(t.key, "second");
    const env = limits({ RUN_CREATES_PER_TEAM_PER_MINUTE: "2" });
    for (const key of [t.key, second]) {
      const res = await callWithEnv(env, "POST", RUNS, { key, body: { prompt: "x" } });
      expect(res.status, res.text).toBe(200);
    }
    const refused = await callWithEnv(env, "POST", RUNS, { key: second, body: { prompt: "x" } });
    expect(expectProblem(refused, 429, "rate_limited").detail).toMatch(
      /RUN_CREATES_PER_TEAM_PER_MINUTE/,
    );
    const u = await newTeam();
    const theirs = await callWithEnv(env, "POST", RUNS, { key: u.key, body: { prompt: "x" } });
    expect(theirs.status, theirs.text).toBe(200);
  });

  it("direct attaches with a key draw on its attach budget; attaches with a token were counted at minting", async () => {
    const t = await newTeam();
    const other = await mint(t.key, "other");
    const env = limits({ ATTACHES_PER_KEY_PER_MINUTE: "2" });
    const run = await callWithEnv(env, "POST", RUNS, { key: t.key, body: { prompt: "x" } });
    const events = `${RUNS}/${run.json.run_id}/events`;
    const minted = await callWithEnv(env, "POST", `${RUNS}/${run.json.run_id}/session-token`, {
      key: t.key,
    });
    expect(minted.status, minted.text).toBe(200);
    const direct = await callWithEnv(env, "GET", events, { key: t.key });
    expect(direct.status, direct.text).toBe(200);
    expect(direct.headers.get("ratelimit-policy")).toMatch(/^"key-attaches";q=2;w=60/);
    const refused = await callWithEnv(env, "GET", events, { key: t.key });
    expect(expectProblem(refused, 429, "rate_limited").detail).toMatch(/ATTACHES_PER_KEY/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // the token minted before still attaches: it was counted when minted
    const token = encodeURIComponent(minted.json.token);
    expect((await callWithEnv(env, "GET", `${events}?token=${token}`)).status).toBe(200);
    expect((await callWithEnv(env, "GET", events, { key: other })).status).toBe(200);
  });
});
