import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import {
  createRun,
  idsOf,
  insertRunRow,
  listRuns,
  RUNS,
  type RunRowSql,
  setRunTimes,
  untilDispatched,
} from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

const sorted = (ids: string[]) => [...ids].sort();

async function insertArtifact(team: Team, runId: string, artifactType: string, data: Json = {}) {
  await env.DB.prepare(
    "INSERT INTO run_artifacts (id, run_id, team_id, artifact_type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  )
    .bind(crypto.randomUUID(), runId, team.teamId, artifactType, JSON.stringify(data), Date.now())
    .run();
}

/**
 * A team holding one run of each kind the filters tell apart:
 * - alpha: API, owner, name nightly, model m-a, environment env-1, metadata env=prod team=a, a PR and a FILE artifact
 * - beta: CLI, owner, name weekly, model m-b, metadata env=prod team=b, then cancelled
 * - triage: a member's skill run, metadata env=dev
 * - scheduled: inserted in D1 (schedules do not exist yet): SCHEDULED_AGENT, LOCAL, SUCCEEDED, schedule sched-1, a PLAN artifact
 */
async function seed() {
  const team = await newTeam("filters");
  const member = await memberKey(team.key, "member");
  const environment = await call("POST", "/api/v1/agent/environments", {
    key: team.key,
    body: { name: "env-1" },
  });
  expect(environment.status, environment.text).toBe(201);
  const alpha = await createRun(team.key, {
    prompt: "alpha: fix the parser",
    config: { name: "nightly", model_id: "m-a", environment_id: environment.json.uid },
    metadata: { env: "prod", team: "a" },
  });
  const beta = await createRun(
    team.key,
    {
      prompt: "beta: bump deps",
      config: { name: "weekly", model_id: "m-b" },
      metadata: { env: "prod", team: "b" },
    },
    { "x-oz-api-source": "CLI" },
  );
  const triage = await createRun(member.key, {
    skill: "acme/tools:skills/triage/SKILL.md",
    metadata: { env: "dev" },
  });
  const scheduled = (
    await insertRunRow(team, {
      title: "scheduled sweep",
      prompt: "sweep",
      source: "SCHEDULED_AGENT",
      execution_location: "LOCAL",
      state: "SUCCEEDED",
      schedule_id: "sched-1",
      ended_at: Date.now(),
    })
  ).id;
  const cancelled = await call("POST", `${RUNS}/${beta}/cancel`, { key: team.key });
  expect(cancelled.status, cancelled.text).toBe(200);
  await insertArtifact(team, alpha, "PULL_REQUEST", {
    url: "https://github.com/acme/tools/pull/1",
    branch: "fix",
  });
  await insertArtifact(team, alpha, "FILE", {
    artifact_uid: "f1",
    filepath: "out/report.md",
    filename: "report.md",
    mime_type: "text/markdown",
  });
  await insertArtifact(team, scheduled, "PLAN", { document_uid: "d1" });
  return {
    team,
    member,
    environmentId: environment.json.uid as string,
    runs: { alpha, beta, triage, scheduled },
  };
}

type Seeded = Awaited<ReturnType<typeof seed>>;
type Name = keyof Seeded["runs"];

const FILTERS: [string, (s: Seeded) => string, Name[]][] = [
  ["no filter", () => "", ["alpha", "beta", "triage", "scheduled"]],
  ["state", () => "state=QUEUED", ["alpha", "triage"]],
  ["state repeated", () => "state=QUEUED&state=CANCELLED", ["alpha", "beta", "triage"]],
  ["state repeated (terminal)", () => "state=SUCCEEDED&state=CANCELLED", ["beta", "scheduled"]],
  ["state with no match", () => "state=INPROGRESS", []],
  ["source API", () => "source=API", ["alpha", "triage"]],
  ["source CLI", () => "source=CLI", ["beta"]],
  ["source SCHEDULED_AGENT", () => "source=SCHEDULED_AGENT", ["scheduled"]],
  ["creator (owner)", (s) => `creator=${s.team.userId}`, ["alpha", "beta", "scheduled"]],
  ["creator (member)", (s) => `creator=${s.member.userId}`, ["triage"]],
  ["creator unknown", () => "creator=nobody", []],
  ["name", () => "name=nightly", ["alpha"]],
  ["config_name (legacy)", () => "config_name=weekly", ["beta"]],
  ["model_id", () => "model_id=m-b", ["beta"]],
  ["environment_id", (s) => `environment_id=${s.environmentId}`, ["alpha"]],
  [
    "environment_id=empty-environment",
    () => "environment_id=empty-environment",
    ["beta", "triage", "scheduled"],
  ],
  ["schedule_id", () => "schedule_id=sched-1", ["scheduled"]],
  ["schedule_id unknown", () => "schedule_id=sched-2", []],
  ["skill", () => `skill=${encodeURIComponent("acme/tools:skills/triage/SKILL.md")}`, ["triage"]],
  [
    "skill_spec",
    () => `skill_spec=${encodeURIComponent("acme/tools:skills/triage/SKILL.md")}`,
    ["triage"],
  ],
  ["artifact_type PULL_REQUEST", () => "artifact_type=PULL_REQUEST", ["alpha"]],
  ["artifact_type FILE", () => "artifact_type=FILE", ["alpha"]],
  ["artifact_type PLAN", () => "artifact_type=PLAN", ["scheduled"]],
  ["artifact_type SCREENSHOT", () => "artifact_type=SCREENSHOT", []],
  ["execution_location LOCAL", () => "execution_location=LOCAL", ["scheduled"]],
  ["execution_location REMOTE", () => "execution_location=REMOTE", ["alpha", "beta", "triage"]],
  ["q over the prompt", () => "q=parser", ["alpha"]],
  ["q over the title (case-insensitive)", () => "q=SWEEP", ["scheduled"]],
  ["q over the skill", () => "q=triage", ["triage"]],
  ["metadata one pair", () => "metadata[env]=prod", ["alpha", "beta"]],
  ["metadata pairs AND-combined", () => "metadata[env]=prod&metadata[team]=a", ["alpha"]],
  ["metadata pairs with no common run", () => "metadata[env]=dev&metadata[team]=a", []],
  ["metadata with encoded brackets", () => "metadata%5Benv%5D=dev", ["triage"]],
  ["metadata value mismatch", () => "metadata[env]=staging", []],
  [
    "several filters at once",
    () => "state=QUEUED&environment_id=empty-environment&metadata[env]=dev",
    ["triage"],
  ],
  ["state and source", (s) => `state=CANCELLED&source=CLI&creator=${s.team.userId}`, ["beta"]],
];

describe("GET /agent/runs filters", () => {
  it.each(FILTERS)("%s", async (_, query, expected) => {
    const s = await seed();
    const page = await listRuns(s.team.key, query(s));
    expect(sorted(idsOf(page))).toEqual(sorted(expected.map((n) => s.runs[n])));
    expect(page.page_info).toEqual({ has_next_page: false });
  });

  it.each(FILTERS)(
    "legacy /agent/tasks applies the same filter: %s",
    async (_, query, expected) => {
      const s = await seed();
      const page = await listRuns(s.team.key, query(s), "/api/v1/agent/tasks");
      expect(sorted(idsOf(page))).toEqual(sorted(expected.map((n) => s.runs[n])));
    },
  );

  it("embeds the artifacts of each listed run", async () => {
    const s = await seed();
    const page = await listRuns(s.team.key, "artifact_type=PULL_REQUEST");
    expect(page.runs[0].artifacts).toEqual([
      {
        artifact_type: "PULL_REQUEST",
        created_at: expect.any(String),
        data: { url: "https://github.com/acme/tools/pull/1", branch: "fix" },
      },
      expect.objectContaining({ artifact_type: "FILE" }),
    ]);
  });

  it("never shows another team's runs, whatever the filter", async () => {
    const s = await seed();
    const other = await newTeam("other");
    const own = await createRun(other.key, {
      prompt: "alpha: fix the parser",
      config: { name: "nightly" },
      metadata: { env: "prod", team: "a" },
    });
    const foreign = new Set(Object.values(s.runs));
    for (const [, query] of FILTERS) {
      const ids = idsOf(await listRuns(other.key, query(s)));
      expect(
        ids.filter((id) => foreign.has(id)),
        query(s),
      ).toEqual([]);
    }
    expect(idsOf(await listRuns(other.key, "name=nightly&metadata[team]=a"))).toEqual([own]);
    expect(idsOf(await listRuns(other.key, `creator=${s.team.userId}`))).toEqual([]);
    expect(idsOf(await listRuns(s.team.key, "name=nightly"))).toEqual([s.runs.alpha]);
    expectProblem(
      await call("GET", `${RUNS}/${s.runs.alpha}`, { key: other.key }),
      404,
      "resource_not_found",
    );
  });

  it("filters by created_after, created_before and updated_after", async () => {
    const t = await newTeam();
    const day = (d: string) => Date.parse(`2026-${d}T12:00:00.000Z`);
    const jan = await createRun(t.key, { prompt: "jan" });
    const feb = await createRun(t.key, { prompt: "feb" });
    const mar = await createRun(t.key, { prompt: "mar" });
    // the dispatch's run.waiting rewrites updated_at: let it land before choosing the times
    for (const runId of [jan, feb, mar]) await untilDispatched({ runId, teamId: t.teamId }, 25_000);
    await setRunTimes(jan, { created_at: day("01-10"), updated_at: day("03-20") });
    await setRunTimes(feb, { created_at: day("02-10"), updated_at: day("02-11") });
    await setRunTimes(mar, { created_at: day("03-10"), updated_at: day("03-11") });
    const cases: [string, string[]][] = [
      ["created_after=2026-01-15T00:00:00Z", [feb, mar]],
      ["created_before=2026-02-15T00:00:00Z", [jan, feb]],
      ["created_after=2026-01-15T00:00:00Z&created_before=2026-02-15T00:00:00Z", [feb]],
      ["created_after=2026-02-10T13:00:00%2B01:00", [feb, mar]], // an offset: 12:00Z exactly
      ["created_after=2026-04-01T00:00:00Z", []],
      ["updated_after=2026-03-01T00:00:00Z", [jan, mar]],
      ["updated_after=2026-03-15T00:00:00Z", [jan]],
      ["updated_after=2026-03-01T00:00:00Z&created_after=2026-02-01T00:00:00Z", [mar]],
    ];
    for (const [query, expected] of cases)
      expect(sorted(idsOf(await listRuns(t.key, query))), query).toEqual(sorted(expected));
  }, 90_000); // waits for three dispatches through the RUNS queue, which the file's other tests keep busy

  it("escapes % and _ in q, matching them literally", async () => {
    const t = await newTeam();
    const pct = await createRun(t.key, { prompt: "reach 100% coverage" });
    const plain = await createRun(t.key, { prompt: "reach 100 percent coverage" });
    const snake = await createRun(t.key, { prompt: "rename snake_case fields" });
    const notSnake = await createRun(t.key, { prompt: "rename snakeXcase fields" });
    const backslash = await createRun(t.key, { prompt: "escape C:\\temp paths" });
    const cases: [string, string[]][] = [
      ["%", [pct]],
      ["100%", [pct]],
      ["_", [snake]],
      ["snake_case", [snake]],
      ["snake%case", []],
      ["\\", [backslash]],
      ["100", [pct, plain]],
      ["snake", [snake, notSnake]],
      ["COVERAGE", [pct, plain]],
    ];
    for (const [q, expected] of cases) {
      expect(sorted(idsOf(await listRuns(t.key, `q=${encodeURIComponent(q)}`))), `q=${q}`).toEqual(
        sorted(expected),
      );
    }
  });

  it("takes up to 5 metadata pairs and refuses 6 with 400", async () => {
    const t = await newTeam();
    const metadata = { a: "1", b: "2", c: "3", d: "4", e: "5", f: "6" };
    const id = await createRun(t.key, { prompt: "p", metadata });
    const five = Object.entries(metadata)
      .slice(0, 5)
      .map(([k, v]) => `metadata[${k}]=${v}`)
      .join("&");
    expect(idsOf(await listRuns(t.key, five))).toEqual([id]);
    const problem = expectProblem(
      await call("GET", `${RUNS}?${five}&metadata[f]=6`, { key: t.key }),
      400,
      "invalid_request",
    );
    expect(problem.errors.map((e: Json) => e.path)).toEqual(["metadata"]);
  });

  it.each([
    ["state=DONE", "query.state"],
    ["source=CARRIER_PIGEON", "query.source"],
    ["execution_location=MARS", "query.execution_location"],
    ["artifact_type=VIDEO", "query.artifact_type"],
    ["created_after=yesterday", "query.created_after"],
    ["created_before=2026-01-01", "query.created_before"],
    ["updated_after=1767225600000", "query.updated_after"],
    ["sort_by=agent_name", "query.sort_by"],
    ["sort_order=sideways", "query.sort_order"],
  ])("refuses %s with 400 naming %s", async (query, path) => {
    const t = await newTeam();
    const problem = expectProblem(
      await call("GET", `${RUNS}?${query}`, { key: t.key }),
      400,
      "invalid_request",
    );
    const paths: string[] = problem.errors.map((e: Json) => e.path);
    expect(
      paths.some((p) => p === path || p.startsWith(`${path}.`)),
      paths.join(),
    ).toBe(true);
  });

  it("answers 401 without a key and lets a viewer list", async () => {
    expectProblem(await call("GET", RUNS), 401, "authentication_required");
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const id = await createRun(t.key);
    expect(idsOf(await listRuns(viewer.key))).toEqual([id]);
  });
});

/** Inserts `n` runs whose sort keys repeat (so ties are broken by id) and returns their rows. */
async function insertMany(team: Team, n: number, base = Date.parse("2026-05-01T00:00:00Z")) {
  const rows: RunRowSql[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      await insertRunRow(team, {
        title: `Run ${String.fromCharCode(65 + (i % 7))}`,
        created_at: base + (i % 9) * 60_000,
        updated_at: base + (i % 5) * 60_000,
      }),
    );
  }
  return rows;
}

const SORT_FIELD = { updated_at: "updated_at", created_at: "created_at", title: "title" } as const;

/** The order the API promises: by the sort key, then by id, both in the requested direction. */
function expectedOrder(rows: RunRowSql[], sortBy: keyof typeof SORT_FIELD, order: "asc" | "desc") {
  const key = SORT_FIELD[sortBy];
  const sign = order === "asc" ? 1 : -1;
  return [...rows]
    .sort((a, b) => {
      const [x, y] = [a[key], b[key]];
      if (x !== y) return (x < y ? -1 : 1) * sign;
      return (a.id < b.id ? -1 : 1) * sign;
    })
    .map((r) => r.id);
}

async function walk(key: string, query: string) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await listRuns(
      key,
      `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    pages.push(idsOf(page));
    if (!page.page_info.has_next_page) {
      expect(page.page_info.next_cursor).toBeUndefined();
      return pages;
    }
    expect(page.page_info.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    cursor = page.page_info.next_cursor;
  }
  throw new Error("pagination did not end");
}

describe("GET /agent/runs sorting and pagination", () => {
  const SORTS = (["updated_at", "created_at", "title"] as const).flatMap((s) =>
    (["asc", "desc"] as const).map((o) => [s, o] as const),
  );

  it.each(SORTS)(
    "sort_by=%s&sort_order=%s orders by the key then id, and paginates 45 runs by 10 with no duplicates or gaps",
    async (sortBy, order) => {
      const t = await newTeam();
      const rows = await insertMany(t, 45);
      const expected = expectedOrder(rows, sortBy, order);
      const all = await listRuns(t.key, `sort_by=${sortBy}&sort_order=${order}&limit=500`);
      expect(idsOf(all)).toEqual(expected);
      const pages = await walk(t.key, `sort_by=${sortBy}&sort_order=${order}&limit=10`);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 5]);
      expect(pages.flat()).toEqual(expected);
    },
  );

  it("sorts by updated_at descending by default", async () => {
    const t = await newTeam();
    const rows = await insertMany(t, 12);
    expect(idsOf(await listRuns(t.key))).toEqual(expectedOrder(rows, "updated_at", "desc"));
    expect(idsOf(await listRuns(t.key, "sort_by=updated_at"))).toEqual(
      expectedOrder(rows, "updated_at", "desc"),
    );
    expect(idsOf(await listRuns(t.key, "sort_order=asc"))).toEqual(
      expectedOrder(rows, "updated_at", "asc"),
    );
  });

  it("paginates a filtered list, the filter holding on every page", async () => {
    const t = await newTeam();
    const rows = await insertMany(t, 30);
    for (const r of rows.filter((_, i) => i % 3 === 0))
      await env.DB.prepare("UPDATE runs SET state = 'CANCELLED' WHERE id = ?").bind(r.id).run();
    const queued = rows.filter((_, i) => i % 3 !== 0);
    const pages = await walk(t.key, "state=QUEUED&limit=7");
    expect(pages.map((p) => p.length)).toEqual([7, 7, 6]);
    expect(pages.flat()).toEqual(expectedOrder(queued, "updated_at", "desc"));
  });

  it("limit defaults to 20 and accepts 1 to 500", async () => {
    const t = await newTeam();
    const rows = await insertMany(t, 25);
    const first = await listRuns(t.key);
    expect(first.runs).toHaveLength(20);
    expect(first.page_info.has_next_page).toBe(true);
    expect((await listRuns(t.key, "limit=1")).runs).toHaveLength(1);
    const max = await listRuns(t.key, "limit=500");
    expect(max.runs).toHaveLength(25);
    expect(max.page_info).toEqual({ has_next_page: false });
    const exact = await listRuns(t.key, "limit=25");
    expect(exact.runs).toHaveLength(25);
    expect(exact.page_info).toEqual({ has_next_page: false });
    expect(idsOf(max)).toEqual(expectedOrder(rows, "updated_at", "desc"));
  });

  it.each(["0", "501", "-1", "1.5", "abc", ""])(
    "refuses limit=%s with 400 naming query.limit",
    async (limit) => {
      const t = await newTeam();
      const problem = expectProblem(
        await call("GET", `${RUNS}?limit=${limit}`, { key: t.key }),
        400,
        "invalid_request",
      );
      expect(problem.errors.map((e: Json) => e.path)).toEqual(["query.limit"]);
    },
  );

  it.each([
    ["updated_at", "desc", "updated_at", "asc"],
    ["updated_at", "desc", "created_at", "desc"],
    ["title", "asc", "title", "desc"],
    ["created_at", "asc", "title", "asc"],
  ])(
    "refuses a cursor of sort_by=%s&sort_order=%s reused with sort_by=%s&sort_order=%s",
    async (s1, o1, s2, o2) => {
      const t = await newTeam();
      await insertMany(t, 3);
      const cursor = (await listRuns(t.key, `sort_by=${s1}&sort_order=${o1}&limit=1`)).page_info
        .next_cursor;
      expect(cursor).toBeTruthy();
      const problem = expectProblem(
        await call("GET", `${RUNS}?sort_by=${s2}&sort_order=${o2}&limit=1&cursor=${cursor}`, {
          key: t.key,
        }),
        400,
        "invalid_request",
      );
      expect(problem.errors.map((e: Json) => e.path)).toEqual(["cursor"]);
      expect(problem.detail).toContain(`sort_by=${s1}`);
    },
  );

  it.each([
    ["garbage", "garbage"],
    ["not base64", "%%%"],
    ["a JSON object", btoa("{}")],
    ["an object as sort value", btoa('[1,"updated_at","desc",{},"x"]')],
    ["another version", btoa('[9,"updated_at","desc",1,"x"]')],
    ["over 2000 characters", "x".repeat(2001)],
  ])("refuses a cursor that is %s with 400, never 500", async (_, cursor) => {
    const t = await newTeam();
    await insertMany(t, 2);
    const res = await call("GET", `${RUNS}?cursor=${encodeURIComponent(cursor)}`, { key: t.key });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors.map((e: Json) => e.path)).toEqual([
      cursor.length > 2000 ? "query.cursor" : "cursor",
    ]);
  });

  it("keeps its place while runs are inserted (updated_at desc: new runs land before the cursor)", async () => {
    const t = await newTeam();
    const rows = await insertMany(t, 25, Date.parse("2026-01-01T00:00:00Z"));
    const expected = expectedOrder(rows, "updated_at", "desc");
    const page1 = await listRuns(t.key, "limit=10");
    expect(idsOf(page1)).toEqual(expected.slice(0, 10));
    // new runs arrive while the client reads page 1: they are newer than everything seen
    const added = [
      await createRun(t.key, { prompt: "new 1" }),
      await createRun(t.key, { prompt: "new 2" }),
      await createRun(t.key, { prompt: "new 3" }),
    ];
    const page2 = await listRuns(t.key, `limit=10&cursor=${page1.page_info.next_cursor}`);
    expect(idsOf(page2)).toEqual(expected.slice(10, 20));
    const page3 = await listRuns(t.key, `limit=10&cursor=${page2.page_info.next_cursor}`);
    expect(idsOf(page3)).toEqual(expected.slice(20));
    expect(page3.page_info.has_next_page).toBe(false);
    // a fresh walk sees the new runs first
    expect(sorted(idsOf(await listRuns(t.key, "limit=3")))).toEqual(sorted(added));
  });

  it("keeps its place while runs are inserted (created_at asc: new runs land after the cursor, once each)", async () => {
    const t = await newTeam();
    const rows = await insertMany(t, 25, Date.parse("2026-01-01T00:00:00Z"));
    const expected = expectedOrder(rows, "created_at", "asc");
    const q = "sort_by=created_at&sort_order=asc&limit=10";
    const page1 = await listRuns(t.key, q);
    expect(idsOf(page1)).toEqual(expected.slice(0, 10));
    const added = [
      await createRun(t.key, { prompt: "new 1" }),
      await createRun(t.key, { prompt: "new 2" }),
    ];
    // and one inserted among the runs already read: it must not push anything onto page 2 twice
    const early = await insertRunRow(t, { created_at: Date.parse("2025-12-31T00:00:00Z") });
    const page2 = await listRuns(t.key, `${q}&cursor=${page1.page_info.next_cursor}`);
    expect(idsOf(page2)).toEqual(expected.slice(10, 20));
    const page3 = await listRuns(t.key, `${q}&cursor=${page2.page_info.next_cursor}`);
    expect(idsOf(page3)).toEqual([...expected.slice(20), ...added]);
    expect(page3.page_info.has_next_page).toBe(false);
    expect(idsOf(page3)).not.toContain(early.id);
  });
});

describe("GET /agent/runs query plans", () => {
  /** The SQL `listRuns` sends for a state filter sorted by updated_at (see services/runs/list-runs.ts). */
  const LIST_SQL = (keyset: boolean) => `
    SELECT runs.*, users.display_name, users.email
    FROM runs LEFT JOIN users ON users.id = runs.creator_id
    WHERE runs.team_id = ?1 AND (runs.scope = 'Team' OR runs.creator_id = ?2) AND runs.state = ?3
      ${keyset ? "AND (runs.updated_at, runs.id) < (?4, ?5)" : ""}
    ORDER BY runs.updated_at DESC, runs.id DESC
    LIMIT 21`;

  async function plan(sql: string, ...params: unknown[]) {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    return results.map((r) => r.detail);
  }

  it("serves the state list from runs_team_state_updated without a scan or a sort", async () => {
    const t = await newTeam();
    await insertMany(t, 30);
    for (const keyset of [false, true]) {
      const params = keyset
        ? [t.teamId, t.userId, "QUEUED", Date.now(), "ffffffff"]
        : [t.teamId, t.userId, "QUEUED"];
      const detail = await plan(LIST_SQL(keyset), ...params);
      const runsStep = detail.find((d) => /\bruns\b/.test(d) && !/\busers\b/.test(d));
      expect(runsStep, detail.join("\n")).toMatch(
        /^SEARCH runs USING INDEX runs_team_state_updated \(team_id=\? AND state=\?/,
      );
      if (keyset) expect(runsStep).toMatch(/\(updated_at,id\)<\(\?,\?\)/);
      expect(detail.join("\n")).not.toMatch(/SCAN runs|TEMP B-TREE/);
      expect(detail.join("\n")).toMatch(
        /SEARCH users USING INDEX sqlite_autoindex_users_1 \(id=\?\)/,
      );
    }
  });

  it("the SQL examined above answers what the API answers", async () => {
    const t = await newTeam();
    await insertMany(t, 30);
    await env.DB.prepare(
      "UPDATE runs SET state = 'CANCELLED' WHERE team_id = ? AND title = 'Run A'",
    )
      .bind(t.teamId)
      .run();
    const { results } = await env.DB.prepare(LIST_SQL(false))
      .bind(t.teamId, t.userId, "QUEUED")
      .all<Pick<RunRowSql, "id" | "updated_at">>();
    const page = await listRuns(t.key, "state=QUEUED&limit=20");
    expect(results.slice(0, 20).map((r) => r.id)).toEqual(idsOf(page));
    const cursorAt = results[19];
    const { results: next } = await env.DB.prepare(LIST_SQL(true))
      .bind(t.teamId, t.userId, "QUEUED", cursorAt.updated_at, cursorAt.id)
      .all<{ id: string }>();
    const page2 = await listRuns(
      t.key,
      `state=QUEUED&limit=20&cursor=${page.page_info.next_cursor}`,
    );
    expect(next.map((r) => r.id)).toEqual(idsOf(page2));
  });

  it("serves the unfiltered list from runs_team_updated and title sort from runs_team_title", async () => {
    const t = await newTeam();
    await insertMany(t, 10);
    const base =
      "SELECT runs.id FROM runs WHERE runs.team_id = ?1 AND (runs.scope = 'Team' OR runs.creator_id = ?2)";
    const byUpdated = await plan(
      `${base} ORDER BY runs.updated_at DESC, runs.id DESC LIMIT 21`,
      t.teamId,
      t.userId,
    );
    expect(byUpdated.join("\n")).toMatch(
      /SEARCH runs USING INDEX runs_team_updated \(team_id=\?\)/,
    );
    expect(byUpdated.join("\n")).not.toMatch(/TEMP B-TREE/);
    const byTitle = await plan(
      `${base} ORDER BY runs.title ASC, runs.id ASC LIMIT 21`,
      t.teamId,
      t.userId,
    );
    expect(byTitle.join("\n")).toMatch(/SEARCH runs USING INDEX runs_team_title \(team_id=\?\)/);
    expect(byTitle.join("\n")).not.toMatch(/TEMP B-TREE/);
  });

  it("checks a metadata filter through run_metadata_lookup", async () => {
    const t = await newTeam();
    const detail = await plan(
      `SELECT runs.id FROM runs WHERE runs.team_id = ?1 AND EXISTS (SELECT 1 FROM run_metadata m
         WHERE m.run_id = runs.id AND m.team_id = ?1 AND m.key = ?2 AND m.value = ?3)
       ORDER BY runs.updated_at DESC, runs.id DESC LIMIT 21`,
      t.teamId,
      "env",
      "prod",
    );
    expect(detail.join("\n")).toMatch(/run_metadata/);
    expect(detail.join("\n")).not.toMatch(/SCAN runs|SCAN m\b|SCAN run_metadata/);
  });
});
