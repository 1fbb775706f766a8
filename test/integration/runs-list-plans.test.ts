import { ListRunsQuery, RunStatsQuery } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../durable-objects/run-session/storage.ts";
import { writeSummary } from "../../durable-objects/run-session/summary.ts";
import { createDb } from "../../src/db/client.ts";
import { encodeCursor } from "../../src/lib/cursor.ts";
import { heardStatement } from "../../src/lib/platform-listeners.ts";
import type { Ctx } from "../../src/services/context.ts";
import {
  EMPTY_ENVIRONMENT,
  type ListRunsInput,
  listRuns,
  listRunsQuery,
  NARROW_MAX,
} from "../../src/services/runs/list-runs.ts";
import { getRunStats } from "../../src/services/stats/run-stats.ts";
import { newTeam } from "../helpers/api.ts";
import { insertRunRow } from "../helpers/runs.ts";

// What keeps a run's state changes cheap (docs/scaling.md, "Which list plans"): D1 bills every
// index entry an UPDATE rewrites, so `runs` has as few indexes holding `state` or `updated_at` as
// the API's lists and stats need, and every list still reaches its rows through an index of the
// team's runs, never a scan of the table.

type Team = Awaited<ReturnType<typeof newTeam>>;

/** The statements a D1 binding was sent, with their bound values and answers' `meta`. */
type Sent = { sql: string; params: unknown[]; meta?: { rows_written: number } };

/**
 * A D1 binding that records what it is sent, for a service's real SQL to be examined: each
 * statement's text and values, and its answer's `meta`.
 */
function recording(d1: D1Database) {
  const sent: Sent[] = [];
  const real = new WeakMap<object, [D1PreparedStatement, Sent]>();
  const wrap = (stmt: D1PreparedStatement, s: Sent): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind")
          return (...params: unknown[]) => wrap(target.bind(...params), { ...s, params });
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          sent.push(s);
          const answer = await value.apply(target, args);
          if (answer && typeof answer === "object" && "meta" in answer) s.meta = answer.meta;
          return answer;
        };
      },
    });
    real.set(proxy, [stmt, s]);
    return proxy;
  };
  const db = {
    prepare: (sql: string) => wrap(d1.prepare(sql), { sql, params: [] }),
    batch: async (stmts: D1PreparedStatement[]) => {
      const each = stmts.map((s) => real.get(s)!);
      sent.push(...each.map(([, s]) => s));
      const answers = await d1.batch(each.map(([stmt]) => stmt));
      answers.forEach((answer, i) => {
        each[i][1].meta = answer.meta;
      });
      return answers;
    },
  } as unknown as D1Database;
  return { db, sent };
}

const ctxOf = (t: Team, d1: D1Database = env.DB): Ctx => ({
  teamId: t.teamId,
  actor: { type: "user", id: t.userId, role: "owner", keyId: "k", personal: true },
  db: createDb(d1),
  env,
  requestId: "plans",
  baseUrl: "http://localhost",
});

/** The plan of `sql` with its values, one line per step. */
async function planOf(sql: string, params: unknown[]) {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** The step that reads `runs` for the query itself (not a subquery's table). */
const runsStep = (plan: string[]) => plan.find((d) => /^(SEARCH|SCAN) runs\b/.test(d)) ?? "";

/** Each equality filter of `GET /agent/runs` and the index that narrows the team's runs to it. */
const FILTERS: [Partial<ListRunsInput>, string][] = [
  [{ source: "API" }, "runs_team_source"],
  [{ execution_location: "LOCAL" }, "runs_team_location"],
  [{ creator: "someone" }, "runs_team_creator"],
  [{ name: "nightly" }, "runs_team_name"],
  [{ model_id: "m-a" }, "runs_team_model"],
  [{ environment_id: "env-1" }, "runs_team_environment"],
  [{ environment_id: EMPTY_ENVIRONMENT }, "runs_team_environment"],
  [{ schedule_id: "sched-1" }, "runs_team_schedule"],
  [{ skill_spec: "acme/tools:skills/triage/SKILL.md" }, "runs_team_skill"],
];

/** Filters with no index of their own: the list walks the team's runs in the sort's index. */
const WALKING: Partial<ListRunsInput>[] = [
  {},
  { artifact_type: "PULL_REQUEST" },
  { metadata: { env: "prod" } },
  { q: "parser" },
];

const SORTS = ["updated_at", "created_at", "title"] as const;
const SORT_INDEX = {
  updated_at: "runs_team_updated",
  created_at: "runs_team_created",
  title: "runs_team_title",
};

/** Every sort, order and page (the first, or one after a cursor) of a filter. */
function inputsOf(filter: Partial<ListRunsInput>) {
  return SORTS.flatMap((sort_by) =>
    (["desc", "asc"] as const).flatMap((sort_order) =>
      [false, true].map((paged) => {
        const value = sort_by === "title" ? "Run" : Date.now();
        const cursor = paged
          ? encodeCursor({ sortBy: sort_by, order: sort_order, value, id: "0190" })
          : undefined;
        const query = ListRunsQuery.parse({ sort_by, sort_order, limit: 20, cursor });
        return { ...query, ...filter } as ListRunsInput;
      }),
    ),
  );
}

/** The plan of the query `listRuns` sends for `input`, and a label for failures. */
async function listPlan(t: Team, input: ListRunsInput, narrow = false) {
  const { sql, params } = listRunsQuery(ctxOf(t), input, narrow).toSQL();
  const plan = await planOf(sql, params);
  const { sort_by, sort_order, cursor } = input;
  const label = `${JSON.stringify({ ...input, cursor: !!cursor, limit: undefined })}`;
  return {
    plan,
    step: runsStep(plan),
    why: `${label} ${sort_by} ${sort_order}\n${plan.join("\n")}`,
  };
}

const SORTED_IN_INDEX = /TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/;

describe("GET /agent/runs query plans", () => {
  it("reads each listed run's usage by its own model calls, not the team's", async () => {
    const t = await newTeam();
    await insertRunRow(t);
    for (const input of inputsOf({})) {
      const { plan, why } = await listPlan(t, input);
      // the usage subquery reads `model_calls AS m`
      const calls = plan.filter((d) => /^(SEARCH|SCAN) m\b/.test(d));
      expect(calls, why).toEqual(["SEARCH m USING INDEX model_calls_run (run_id=?)"]);
    }
  });

  it("reaches every list's runs through an index of the team's, never a scan", async () => {
    const t = await newTeam();
    for (let i = 0; i < 20; i++) await insertRunRow(t, { title: `Run ${i}` });
    const all = [
      ...FILTERS.map(([f]) => f),
      { state: ["FAILED"] },
      { state: ["QUEUED", "FAILED"] },
    ];
    for (const filter of [...all, ...WALKING]) {
      for (const input of inputsOf(filter as Partial<ListRunsInput>)) {
        for (const narrow of [false, true]) {
          const { plan, step, why } = await listPlan(t, input, narrow);
          expect(plan.join("\n"), why).not.toMatch(/^SCAN runs\b/m);
          expect(step, why).toMatch(
            /^SEARCH runs USING (COVERING )?INDEX runs_team_\w+ \(team_id=\?/,
          );
        }
      }
    }
  });

  it("serves unfiltered and state lists in an index's order, without a sort", async () => {
    const t = await newTeam();
    await insertRunRow(t);
    for (const filter of WALKING) {
      for (const input of inputsOf(filter)) {
        const { plan, step, why } = await listPlan(t, input);
        expect(step, why).toContain(`INDEX ${SORT_INDEX[input.sort_by]} (team_id=?`);
        expect(plan.join("\n"), why).not.toMatch(SORTED_IN_INDEX);
      }
    }
    for (const input of inputsOf({ state: ["FAILED"] })) {
      if (input.sort_by === "title") continue;
      const { plan, step, why } = await listPlan(t, input);
      const index = input.sort_by === "updated_at" ? "state_updated" : "state_created";
      expect(step, why).toContain(`INDEX runs_team_${index} (team_id=? AND state=?`);
      expect(plan.join("\n"), why).not.toMatch(SORTED_IN_INDEX);
    }
  });

  it("sorts a filter's matches read by its index, or walks the sort's index", async () => {
    const t = await newTeam();
    await insertRunRow(t);
    const cases = [...FILTERS, [{ state: ["FAILED"] }, "runs_team_state_(updated|created)"]];
    for (const [filter, index] of cases as [Partial<ListRunsInput>, string][]) {
      for (const input of inputsOf(filter)) {
        if (filter.state && input.sort_by !== "title") continue;
        const narrowed = await listPlan(t, input, true);
        expect(narrowed.step, narrowed.why).toMatch(
          new RegExp(`INDEX ${index} \\(team_id=\\? AND \\w+=\\?`),
        );
        expect(narrowed.plan.join("\n"), narrowed.why).toMatch(/TEMP B-TREE FOR ORDER BY/);
        const walked = await listPlan(t, input, false);
        expect(walked.step, walked.why).toContain(`INDEX ${SORT_INDEX[input.sort_by]} (team_id=?`);
        expect(walked.plan.join("\n"), walked.why).not.toMatch(SORTED_IN_INDEX);
      }
    }
  });

  it("sorts a filter's matches while they are fewer than NARROW_MAX, else walks", async () => {
    const t = await newTeam();
    await insertRunRow(t, { source: "API" });
    // NARROW_MAX runs from the CLI in one statement
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO runs (id, team_id, scope, creator_type, creator_id, title, prompt, state,
         source, created_at, updated_at)
       SELECT ?1 || '-' || i, ?1, 'Team', 'user', ?2, 'Run ' || i, 'p', 'SUCCEEDED', 'CLI', i, i
       FROM n`,
    )
      .bind(t.teamId, t.userId, NARROW_MAX)
      .run();
    const orderOf = async (input: Partial<ListRunsInput>) => {
      const { db, sent } = recording(env.DB);
      const query = ListRunsQuery.parse({ limit: 5, ...input });
      const page = await listRuns({ ctx: ctxOf(t, db), input: query });
      const list = sent.find((s) => /order by/.test(s.sql))!.sql;
      return { order: list.slice(list.indexOf("order by")), page };
    };
    const few = await orderOf({ source: "API" });
    expect(few.order).toMatch(/^order by \+"runs"."updated_at" desc/);
    expect(few.page.runs).toHaveLength(1);
    const many = await orderOf({ source: "CLI" });
    expect(many.order).toMatch(/^order by "runs"."updated_at" desc/);
    expect(many.page.runs.map((r) => r.title)).toEqual([
      "Run 1000",
      "Run 999",
      "Run 998",
      "Run 997",
      "Run 996",
    ]);
    // no filter of its own: nothing to count, the list is in its index's order
    for (const input of [{}, { state: ["SUCCEEDED"] }, { q: "Run" }])
      expect((await orderOf(input as Partial<ListRunsInput>)).order).toMatch(/^order by "runs"/);
  });

  it("answers the same pages whichever way it reads them", async () => {
    const t = await newTeam();
    const other = { teamId: t.teamId, userId: "someone" };
    for (let i = 0; i < 12; i++) {
      await insertRunRow(i % 3 ? t : other, {
        title: `Run ${String.fromCharCode(65 + (i % 4))}`,
        source: i % 2 ? "API" : "CLI",
        created_at: Date.parse("2026-05-01T00:00:00Z") + (i % 5) * 60_000,
        updated_at: Date.parse("2026-05-01T00:00:00Z") + (i % 3) * 60_000,
      });
    }
    for (const filter of [{ source: "API" }, { creator: "someone" }, { state: ["QUEUED"] }]) {
      for (const input of inputsOf(filter as Partial<ListRunsInput>)) {
        const first = { ...input, cursor: undefined, limit: 3 };
        for (let page = 0, cursor: string | undefined; page < 5; page++) {
          const pageInput = { ...first, cursor };
          const [a, b] = await Promise.all(
            [true, false].map((narrow) => listRunsQuery(ctxOf(t), pageInput, narrow)),
          );
          const ids = (rows: typeof a) => rows.map((r) => r.row.id);
          expect(ids(a), JSON.stringify(pageInput)).toEqual(ids(b));
          const last = a[first.limit - 1]?.row;
          if (!last || a.length <= first.limit) break;
          const value =
            input.sort_by === "title"
              ? last.title
              : input.sort_by === "created_at"
                ? last.createdAt
                : last.updatedAt;
          cursor = encodeCursor({
            sortBy: input.sort_by,
            order: input.sort_order,
            value,
            id: last.id,
          });
        }
      }
    }
  });
});

/** The team's runs created in the range, through the stats' covering index or failed ones' */
const STATS_STEP = new RegExp(
  "^SEARCH runs USING (COVERING )?INDEX runs_team_(stats|state_created) " +
    "\\(team_id=\\?( AND state=\\?)? AND created_at>\\? AND created_at<\\?\\)",
);

describe("GET /stats/runs query plans", () => {
  it("reads the range of the team's runs through an index, never a scan", async () => {
    const t = await newTeam();
    await insertRunRow(t);
    for (const group_by of ["day", "source", "model", "environment", "creator", "state"]) {
      const { db, sent } = recording(env.DB);
      await getRunStats({ ctx: ctxOf(t, db), input: RunStatsQuery.parse({ group_by }) });
      const queries = sent.filter((s) => /\bfrom "runs"/i.test(s.sql));
      expect(queries.length, group_by).toBeGreaterThanOrEqual(4);
      for (const q of queries) {
        const plan = await planOf(q.sql, q.params);
        const why = `${group_by}\n${q.sql}\n${plan.join("\n")}`;
        expect(plan.join("\n"), why).not.toMatch(/^SCAN runs\b/m);
        expect(runsStep(plan), why).toMatch(STATS_STEP);
      }
    }
  });
});

describe("a new run", () => {
  /** The rows D1 bills for one run's INSERT: the row, its primary key's entry, its indexes'. */
  async function rowsWrittenBy(fields: Record<string, string>) {
    const t = await newTeam();
    const row = {
      ...(await insertRunRow(t, { state: "QUEUED" })),
      ...fields,
      id: crypto.randomUUID(),
    };
    const cols = Object.keys(row);
    const r = await env.DB.prepare(
      `INSERT INTO runs (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
    )
      .bind(...cols.map((c) => (row as Record<string, unknown>)[c]))
      .run();
    return r.meta.rows_written;
  }

  it("writes no entry in the indexes of the fields it leaves empty (migration 0023)", async () => {
    const bare = await rowsWrittenBy({});
    const full = await rowsWrittenBy({
      config_name: "nightly",
      model_id: "m-a",
      schedule_id: "sched-1",
      skill_spec: "acme/tools:skills/triage/SKILL.md",
      share_public_id: crypto.randomUUID(),
    });
    // name, model, schedule, skill and public link: one entry each, only when set
    expect(full - bare).toBe(5);
    expect(bare).toBe(12);
  });
});

describe("a run's state change", () => {
  it("asks who hears its events by two index lookups, beside the write", async () => {
    const t = await newTeam();
    const stmt = heardStatement(env.DB, { teamId: t.teamId, runId: "r" }) as unknown as {
      statement: string;
    };
    const plan = await planOf(stmt.statement, [t.teamId, "r"]);
    expect(plan.filter((d) => /^(SEARCH|SCAN) (?!CONSTANT)/.test(d)).sort()).toEqual([
      expect.stringMatching(/^SEARCH integration_threads USING INDEX integration_threads_run /),
      expect.stringMatching(/^SEARCH webhooks USING INDEX webhooks_team \(team_id=\?\)/),
    ]);
  });

  it("writes its row and four index entries: the list's, two of state, the stats'", async () => {
    const t = await newTeam();
    const row = await insertRunRow(t, { state: "QUEUED", summary_seq: 1 });
    const record = {
      id: row.id,
      team_id: t.teamId,
      state: "INPROGRESS",
      status_message: null,
      created_at: row.created_at,
      updated_at: row.updated_at + 1,
      started_at: row.created_at + 1,
      ended_at: null,
      summary_seq: 2,
    } as unknown as RunRecord;
    const before = { ...record, state: "QUEUED", updated_at: row.updated_at, started_at: null };
    const done = {
      ...record,
      state: "SUCCEEDED",
      updated_at: row.updated_at + 2,
      ended_at: row.created_at + 2,
      summary_seq: 3,
    } as RunRecord;
    const { db, sent } = recording(env.DB);
    // a claim with its start (state, updated_at, started_at), then a completion (+ ended_at)
    expect((await writeSummary(db, record, before as RunRecord)).took).toBe(true);
    expect((await writeSummary(db, done, record)).took).toBe(true);
    // each write also asks whether anyone hears the run's events (a read, in its RETURNING)
    const updates = sent.filter((s) => /^update\b/i.test(s.sql));
    const sets = updates.map((s) => s.sql.replace(/ where .*/, ""));
    for (const column of ["state", "updated_at", "status_message", "summary_seq"])
      for (const set of sets) expect(set).toContain(`"${column}" = ?`);
    expect(sets[0]).toContain(`"started_at" = ?`);
    expect(sets[1]).toContain(`"ended_at" = ?`);
    // D1 bills each entry an UPDATE rewrites as a row written: the row, runs_team_updated,
    // runs_team_state_updated, runs_team_state_created and runs_team_stats. An index that holds
    // state, updated_at, started_at or ended_at adds one to every state change of every run.
    expect(updates.map((s) => s.meta?.rows_written)).toEqual([5, 5]);
    // and who hears it by the same two index lookups as heardStatement's
    const plan = await planOf(updates[1].sql, updates[1].params);
    expect(plan.filter((d) => /^SEARCH (webhooks|integration_threads)/.test(d)).sort()).toEqual([
      expect.stringMatching(/^SEARCH integration_threads USING INDEX integration_threads_run /),
      expect.stringMatching(/^SEARCH webhooks USING INDEX webhooks_team \(team_id=\?\)/),
    ]);
  });
});
