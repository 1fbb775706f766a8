// GET /api/v1/usage over a seeded ledger: exact sums in total and across every grouping, the
// range's edges, another team's spending never counted, any role reading it, bounded ranges.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { insertRunRow, type RunRowSql } from "../helpers/runs.ts";

const USAGE = "/api/v1/usage";
const RANGE = "from=2026-03-01&to=2026-03-01"; // the whole of 1 March
const at = (iso: string) => Date.parse(iso);

/** A ledger row of `run` at `created` (ISO): tokens and their costs in micro-USD. */
async function seedCall(
  run: RunRowSql,
  created: string,
  model: string,
  [input, output, cacheRead, cacheWrite]: number[],
  [ic, oc, rc, wc]: number[],
  status = 200,
) {
  await env.DB.prepare(
    `INSERT INTO model_calls (id, team_id, run_id, execution_id, member_id, model_id, provider,
      model, category, status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
      input_cost, output_cost, cache_read_cost, cache_write_cost, cost, ttfb_ms, latency_ms,
      created_at) VALUES (?, ?, ?, 1, ?, ?, 'anthropic', ?, 'primary_agent', ?, ?, ?, ?, ?, ?, ?,
      ?, ?, ?, 10, 20, ?)`,
  )
    .bind(
      crypto.randomUUID(),
      run.team_id,
      run.id,
      run.creator_id,
      model,
      model,
      status,
      input,
      output,
      cacheRead,
      cacheWrite,
      ic,
      oc,
      rc,
      wc,
      ic + oc + rc + wc,
      at(created),
    )
    .run();
}

async function usage(key: string, query: string): Promise<Json> {
  const res = await call("GET", `${USAGE}?${query}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const pick = (body: Json, f: (b: Json) => unknown) =>
  Object.fromEntries(body.series.map((b: Json) => [String(b.key), f(b)]));

/**
 * Two days of 1 March 2026 (UTC) and one call each side of the range: runs by the owner (API,
 * env e1) and by a member (SLACK, scheduled), on models m1 and m2, one failed call; another
 * team's run and calls in the same range.
 */
async function seed() {
  const team = await newTeam("usage");
  const member = await memberKey(team.key, "member");
  const viewer = await memberKey(team.key, "viewer");
  const created = (iso: string) => ({ created_at: at(iso), updated_at: at(iso) });
  const r1 = await insertRunRow(team, {
    ...created("2026-03-01T01:00:00Z"),
    model_id: "m1",
    environment_id: "e1",
    state: "SUCCEEDED",
    started_at: at("2026-03-01T01:00:05Z"),
    ended_at: at("2026-03-01T01:01:05Z"), // 60 s
  });
  const r2 = await insertRunRow(team, {
    ...created("2026-03-01T05:00:00Z"),
    creator_id: member.userId,
    model_id: "m2",
    source: "SLACK",
    schedule_id: "s1",
    scope: "User", // a personal run's spending is the team's too
    state: "FAILED",
    started_at: at("2026-03-01T05:00:01Z"),
    ended_at: at("2026-03-01T05:00:31Z"), // 30 s
  });
  await insertRunRow(team, created("2026-03-01T09:00:00Z")); // queued: no compute, no call
  await seedCall(r1, "2026-02-28T23:59:59.999Z", "m1", [9, 9, 9, 9], [9, 9, 9, 9]);
  await seedCall(r1, "2026-03-01T00:00:00Z", "m1", [100, 50, 10, 5], [300, 750, 3, 4]);
  await seedCall(r1, "2026-03-01T01:00:10Z", "m2", [200, 80, 0, 0], [600, 1200, 0, 0]);
  await seedCall(r2, "2026-03-01T05:00:10Z", "m2", [40, 0, 0, 0], [0, 0, 0, 0], 429);
  const [big, bigCost] = [
    [1000, 500, 2000, 100],
    [3000, 7500, 600, 375],
  ];
  await seedCall(r2, "2026-03-01T23:59:59.999Z", "m2", big, bigCost);
  await seedCall(r2, "2026-03-02T00:00:00Z", "m2", [7, 7, 7, 7], [7, 7, 7, 7]);
  const other = await newTeam("usage-other");
  const o1 = await insertRunRow(other, created("2026-03-01T01:00:00Z"));
  await seedCall(o1, "2026-03-01T02:00:00Z", "m1", [5, 5, 5, 5], [5, 5, 5, 5]);
  return { team, member, viewer, other };
}

describe("GET /usage", () => {
  it("sums the range's calls and runs exactly, by every grouping; another team's stay out", async () => {
    const { team, member, viewer, other } = await seed();
    const day = await usage(viewer.key, RANGE); // any role reads it
    expect(day.total).toEqual({
      cost_usd: 0.014332,
      cost_breakdown_usd: {
        input_cost_usd: 0.0039,
        input_cache_read_cost_usd: 0.000603,
        input_cache_write_cost_usd: 0.000379,
        output_cost_usd: 0.00945,
      },
      tokens: {
        input: 1340,
        output: 630,
        input_cache_read: 2010,
        input_cache_write: 105,
        total: 4085,
      },
      model_calls: 4,
      failed_model_calls: 1,
      runs: 3,
      compute_time_ms: 90_000,
    });
    expect(day.from).toBe("2026-03-01T00:00:00.000Z");
    expect(day.to).toBe("2026-03-02T00:00:00.000Z");
    expect(day.series.map((b: Json) => b.key)).toEqual(["2026-03-01"]);
    expect(day.series[0]).toEqual({ key: "2026-03-01", ...day.total });

    const byMember = await usage(team.key, `${RANGE}&group_by=member`);
    expect(byMember.total).toEqual(day.total);
    expect(pick(byMember, (b) => [b.cost_usd, b.model_calls, b.runs, b.compute_time_ms])).toEqual({
      [member.userId]: [0.011475, 2, 1, 30_000],
      [team.userId]: [0.002857, 2, 2, 60_000],
    });
    expect(byMember.series[0].key).toBe(member.userId); // most cost first

    const byModel = await usage(team.key, `${RANGE}&group_by=model`);
    // calls by the model they asked for; runs by their configured model
    expect(pick(byModel, (b) => [b.tokens.total, b.model_calls, b.runs])).toEqual({
      m2: [3920, 3, 1],
      m1: [165, 1, 1],
      null: [0, 0, 1],
    });
    const bySource = await usage(team.key, `${RANGE}&group_by=source`);
    expect(pick(bySource, (b) => [b.cost_usd, b.failed_model_calls, b.runs])).toEqual({
      SLACK: [0.011475, 1, 1],
      API: [0.002857, 0, 2],
    });
    const byEnv = await usage(team.key, `${RANGE}&group_by=environment`);
    expect(pick(byEnv, (b) => [b.model_calls, b.runs])).toEqual({ null: [2, 2], e1: [2, 1] });
    const bySchedule = await usage(team.key, `${RANGE}&group_by=schedule`);
    expect(pick(bySchedule, (b) => [b.cost_usd, b.runs])).toEqual({
      s1: [0.011475, 1],
      null: [0.002857, 2],
    });
    for (const body of [byMember, byModel, bySource, byEnv, bySchedule]) {
      expect(body.total).toEqual(day.total);
      expect(body.series_truncated).toBe(false);
    }

    const theirs = await usage(other.key, RANGE);
    expect([theirs.total.cost_usd, theirs.total.model_calls, theirs.total.runs]).toEqual([
      0.00002, 1, 1,
    ]);
  });

  it("by day in a time zone: every day of the range, the empty ones too", async () => {
    const { team } = await seed();
    const body = await usage(team.key, "from=2026-02-28&to=2026-03-02&tz=Europe/Paris");
    expect(body.from).toBe("2026-02-27T23:00:00.000Z");
    expect(body.series.map((b: Json) => [b.key, b.model_calls])).toEqual([
      ["2026-02-28", 0],
      ["2026-03-01", 4], // 28 Feb 23:59:59.999Z is 1 March in Paris
      ["2026-03-02", 2], // and 1 March 23:59:59.999Z is 2 March
    ]);
  });

  it("refuses a range past 366 days, a reversed one and an unknown grouping (400 naming the field)", async () => {
    const { key } = await newTeam("usage-bad");
    const long = expectProblem(
      await call("GET", `${USAGE}?from=2025-01-01&to=2026-03-01`, { key }),
      400,
      "invalid_request",
    );
    expect(long.detail).toMatch(/at most 366/);
    expect(long.errors[0].path).toBe("query.from");
    expect((await call("GET", `${USAGE}?from=2025-03-01&to=2026-03-01`, { key })).status).toBe(200); // 366 days
    expectProblem(
      await call("GET", `${USAGE}?from=2026-03-02&to=2026-03-01`, { key }),
      400,
      "invalid_request",
    );
    const bad = expectProblem(
      await call("GET", `${USAGE}?group_by=state`, { key }),
      400,
      "invalid_request",
    );
    expect(JSON.stringify(bad.errors)).toContain("group_by");
    expectProblem(await call("GET", USAGE), 401, "authentication_required");
  });
});
