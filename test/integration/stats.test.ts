import { Ambit, BadRequestError } from "@ambit/sdk";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE, call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { insertRunRow, type RunRowSql } from "../helpers/runs.ts";

const STATS = "/api/v1/stats/runs";
const RANGE = "from=2026-03-01&to=2026-03-03";
type Team = Awaited<ReturnType<typeof newTeam>>;

const at = (iso: string) => Date.parse(iso);

/** A run created at `created` (ISO), waiting `queue` ms to start and then running `run` ms. */
async function seedRun(
  team: Team,
  created: string,
  state: string,
  o: Partial<RunRowSql> & { queue?: number; run?: number; reason?: Json } = {},
) {
  const { queue, run, reason, ...row } = o;
  const createdAt = at(created);
  const startedAt = queue === undefined ? null : createdAt + queue;
  const endedAt =
    run === undefined ? (state === "CANCELLED" ? createdAt + 500 : null) : startedAt! + run;
  return insertRunRow(team, {
    created_at: createdAt,
    updated_at: endedAt ?? startedAt ?? createdAt,
    state,
    started_at: startedAt,
    ended_at: endedAt,
    status_message: reason ? JSON.stringify(reason) : null,
    ...row,
  });
}

async function stats(key: string, query = ""): Promise<Json> {
  const res = await call("GET", `${STATS}${query ? `?${query}` : ""}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const totals = (body: Json) =>
  Object.fromEntries(body.series.map((b: Json) => [String(b.key), b.total]));

const SETUP = { error_code: "environment_setup_failed", message: "setup failed" };

/**
 * Nine runs over 1–3 March 2026 (UTC), one at each edge of the range, and runs that must never
 * count: outside the range, another team's, a member's personal run.
 */
async function seed() {
  const team = await newTeam("stats");
  const member = await memberKey(team.key, "member");
  const viewer = await memberKey(team.key, "viewer");
  const m1 = { model_id: "m1" };
  await seedRun(team, "2026-03-01T00:00:00.000Z", "SUCCEEDED", {
    queue: 9000,
    run: 40_000,
    ...m1,
    environment_id: "e1",
  });
  await seedRun(team, "2026-03-01T02:00:00Z", "SUCCEEDED", {
    queue: 2000,
    run: 90_000,
    ...m1,
    scope: "User",
  }); // the owner's personal run
  await seedRun(team, "2026-03-01T03:00:00Z", "FAILED", {
    queue: 8000,
    run: 50_000,
    source: "SLACK",
    model_id: "m2",
    reason: SETUP,
  });
  await seedRun(team, "2026-03-02T04:00:00Z", "FAILED", {
    queue: 1000,
    run: 30_000,
    source: "SLACK",
    model_id: "m2",
    reason: SETUP,
  });
  await seedRun(team, "2026-03-02T05:00:00Z", "ERROR", {
    queue: 5000,
    run: 10_000,
    reason: { message: "host lost" },
  });
  await seedRun(team, "2026-03-02T06:00:00Z", "CANCELLED", { source: "CLI" });
  await seedRun(team, "2026-03-03T07:00:00Z", "QUEUED", { source: "CLI" });
  await seedRun(team, "2026-03-03T08:00:00Z", "INPROGRESS", { queue: 3000, source: "CLI" });
  await seedRun(team, "2026-03-03T23:59:59.999Z", "SUCCEEDED", {
    queue: 4000,
    run: 20_000,
    ...m1,
    source: "SCHEDULED_AGENT",
    environment_id: "e1",
  });
  // never counted in RANGE: just outside it, another team's, a member's personal run
  await seedRun(team, "2026-02-28T23:59:59.999Z", "FAILED", {
    queue: 1,
    run: 1,
    reason: { message: "too early" },
  });
  await seedRun(team, "2026-03-04T00:00:00.000Z", "FAILED", {
    queue: 1,
    run: 1,
    reason: { message: "too late" },
  });
  const other = await newTeam("stats-other");
  await seedRun(other, "2026-03-02T12:00:00Z", "FAILED", {
    queue: 1,
    run: 1,
    reason: { message: "another team" },
  });
  await seedRun(team, "2026-03-02T12:00:00Z", "FAILED", {
    queue: 7,
    run: 7,
    creator_id: member.userId,
    scope: "User",
    reason: { message: "a member's own" },
  });
  return { team, member, viewer, other };
}

describe("GET /api/v1/stats/runs", () => {
  let s: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    s = await seed();
  });

  it("counts the runs of the range by state, with success rate, percentiles and failure reasons", async () => {
    const body = await stats(s.team.key, RANGE);
    expect(body).toMatchObject({
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-04T00:00:00.000Z",
      tz: "UTC",
      group_by: "day",
      total: 9,
      by_state: {
        QUEUED: 1,
        PENDING: 0,
        CLAIMED: 0,
        INPROGRESS: 1,
        SUCCEEDED: 3,
        FAILED: 2,
        BLOCKED: 0,
        ERROR: 1,
        CANCELLED: 1,
      },
      // 3 SUCCEEDED of 6 ended with an outcome: the CANCELLED run is left out
      success_rate: 0.5,
      // run times 40, 90, 50, 30, 10, 20 s in creation order; sorted, ranks ⌈3⌉ and ⌈5.7⌉
      run_time_ms: { count: 6, p50: 30_000, p95: 90_000 },
      // queue times 9, 2, 8, 1, 5, 3, 4 s; sorted, ranks ⌈3.5⌉ and ⌈6.65⌉
      queue_time_ms: { count: 7, p50: 4000, p95: 9000 },
      failure_reasons: [
        { error_code: "environment_setup_failed", message: "setup failed", count: 2 },
        { error_code: null, message: "host lost", count: 1 },
      ],
      series_truncated: false,
    });
    expect(body.series).toEqual([
      {
        key: "2026-03-01",
        total: 3,
        by_state: expect.objectContaining({ SUCCEEDED: 2, FAILED: 1 }),
        success_rate: 2 / 3,
      },
      {
        key: "2026-03-02",
        total: 3,
        by_state: expect.objectContaining({ FAILED: 1, ERROR: 1, CANCELLED: 1 }),
        success_rate: 0,
      },
      {
        key: "2026-03-03",
        total: 3,
        by_state: expect.objectContaining({ QUEUED: 1, INPROGRESS: 1, SUCCEEDED: 1 }),
        success_rate: 1,
      },
    ]);
  });

  it("takes timestamps as a half-open range [from, to)", async () => {
    const body = await stats(
      s.team.key,
      "from=2026-03-01T00:00:00.001Z&to=2026-03-03T23:59:59.999Z",
    );
    expect(body.total).toBe(7); // the first run is before from, the last one at to
    const edges = await stats(
      s.team.key,
      "from=2026-02-28T23:59:59.999Z&to=2026-03-04T00:00:00.001Z",
    );
    expect(edges.total).toBe(11);
  });

  it.each([
    [
      "source",
      { API: 3, CLI: 3, SLACK: 2, SCHEDULED_AGENT: 1 },
      ["API", "CLI", "SLACK", "SCHEDULED_AGENT"],
    ],
    ["model", { null: 4, m1: 3, m2: 2 }, ["null", "m1", "m2"]],
    ["environment", { null: 7, e1: 2 }, ["null", "e1"]],
    [
      "state",
      { SUCCEEDED: 3, FAILED: 2, CANCELLED: 1, ERROR: 1, INPROGRESS: 1, QUEUED: 1 },
      ["SUCCEEDED", "FAILED", "CANCELLED", "ERROR", "INPROGRESS", "QUEUED"],
    ],
  ])("splits the series by %s, most runs first", async (groupBy, expected, order) => {
    const body = await stats(s.team.key, `${RANGE}&group_by=${groupBy}`);
    expect(body.group_by).toBe(groupBy);
    expect(totals(body)).toEqual(expected);
    expect(body.series.map((b: Json) => String(b.key))).toEqual(order);
    expect(body.total).toBe(9);
  });

  it("splits by creator, and a member's personal run counts for them only", async () => {
    expect(totals(await stats(s.team.key, `${RANGE}&group_by=creator`))).toEqual({
      [s.team.userId]: 9,
    });
    // the member sees the team's runs and their own personal one, not the owner's personal run
    const mine = await stats(s.member.key, `${RANGE}&group_by=creator`);
    expect(totals(mine)).toEqual({ [s.team.userId]: 8, [s.member.userId]: 1 });
    expect(mine.failure_reasons).toContainEqual({
      error_code: null,
      message: "a member's own",
      count: 1,
    });
  });

  it("never counts another team's runs", async () => {
    const body = await stats(s.other.key, RANGE);
    expect(body.total).toBe(1);
    expect(body.failure_reasons).toEqual([{ error_code: null, message: "another team", count: 1 }]);
    const mine = await stats(s.team.key, RANGE);
    expect(mine.failure_reasons.map((r: Json) => r.message)).not.toContain("another team");
  });

  it("answers a viewer, without others' personal runs", async () => {
    const body = await stats(s.viewer.key, RANGE);
    expect(body.total).toBe(8);
    expect(body.by_state.FAILED).toBe(2);
  });

  it("answers the last 30 days (UTC) without a query", async () => {
    const team = await newTeam("stats-defaults");
    const now = Date.now();
    await seedRun(team, new Date(now - 1000).toISOString(), "SUCCEEDED", { queue: 10, run: 10 });
    await seedRun(team, new Date(now - 40 * 86_400_000).toISOString(), "SUCCEEDED", {
      queue: 10,
      run: 10,
    });
    const body = await stats(team.key);
    const today = new Date(now).toISOString().slice(0, 10);
    const first = new Date(Date.parse(today) - 29 * 86_400_000).toISOString();
    expect(body).toMatchObject({
      from: first,
      tz: "UTC",
      group_by: "day",
      total: 1,
      success_rate: 1,
    });
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(now);
    expect(body.series).toHaveLength(30);
    expect(body.series.at(-1)).toMatchObject({ key: today, total: 1 });
    expect(body.series[0]).toEqual({
      key: first.slice(0, 10),
      total: 0,
      by_state: expect.objectContaining({ SUCCEEDED: 0 }),
      success_rate: null,
    });
  });

  it("buckets days in a time zone across a daylight-saving change", async () => {
    const team = await newTeam("stats-tz");
    // Paris: UTC+1 until 2026-03-29T01:00Z, UTC+2 after
    for (const created of [
      "2026-03-27T22:59:59.999Z", // 27 March, 23:59:59 local: before the range
      "2026-03-27T23:00:00.000Z", // 28 March, 00:00 local
      "2026-03-28T23:30:00Z", // 29 March, 00:30 local
      "2026-03-29T21:30:00Z", // 29 March, 23:30 local (UTC+2)
      "2026-03-29T22:30:00Z", // 30 March, 00:30 local (a fixed +1 would say the 29th)
      "2026-03-30T22:00:00.000Z", // 31 March, 00:00 local: after the range
    ]) {
      await seedRun(team, created, "QUEUED");
    }
    const body = await stats(team.key, "from=2026-03-28&to=2026-03-30&tz=Europe/Paris");
    expect(body).toMatchObject({
      from: "2026-03-27T23:00:00.000Z",
      to: "2026-03-30T22:00:00.000Z",
      tz: "Europe/Paris",
      total: 4,
    });
    expect(totals(body)).toEqual({ "2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1 });
    const utc = await stats(team.key, "from=2026-03-28&to=2026-03-30");
    expect(totals(utc)).toEqual({ "2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1 });
    expect(utc.total).toBe(4); // 27 March 23:00Z is the 27th in UTC; 30 March 22:00Z counts
  });

  it.each([
    ["group_by=week", "query.group_by", /source/],
    ["from=yesterday", "query.from", /2026-01-31/],
    ["tz=Mars/Olympus", "query.tz", /IANA time zone/],
    ["from=2026-03-03&to=2026-03-01", "query.from", /must be before to/],
    ["from=2026-01-01&to=2026-06-30", "query.from", /at most 92/],
    ["from=2020-01-01", "query.from", /at most 92/],
  ])("refuses %s with a 400 naming the fix", async (query, path, hint) => {
    const res = await call("GET", `${STATS}?${query}`, { key: s.team.key });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors.map((e: Json) => e.path)).toContain(path);
    expect(problem.detail).toMatch(hint);
  });

  it("answers the SDK's client.stats.runs, and its bad query is a BadRequestError", async () => {
    const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
      exports.default.fetch(new Request(input, init));
    const client = new Ambit({ apiKey: s.team.key, baseURL: BASE, fetch, maxRetries: 0 });
    const body = await client.stats.runs({
      from: "2026-03-01",
      to: "2026-03-03",
      group_by: "model",
    });
    expect(body).toMatchObject({ total: 9, group_by: "model", run_time_ms: { p50: 30_000 } });
    expect(body.series.map((b) => b.key)).toEqual([null, "m1", "m2"]);
    await expect(client.stats.runs({ tz: "Nowhere/Atlantis" })).rejects.toBeInstanceOf(
      BadRequestError,
    );
  });

  it("needs an API key", async () => {
    expectProblem(await call("GET", STATS), 401, "authentication_required");
  });
});
