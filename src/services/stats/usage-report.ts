import type { UsageBucket, UsageQuery, UsageReport, UsageTotals } from "@ambit/protocol";
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { modelCalls, runs } from "../../db/schema.ts";
import { dateOfDay } from "../../lib/time-zone.ts";
import type { Ctx } from "../context.ts";
import type { UsageLine } from "../runs/run-usage.ts";
import { daysOf, localDay } from "./local-day.ts";
import { resolveRange } from "./range.ts";
import { MAX_GROUPS } from "./tally.ts";

/** The longest range one request may ask for: a year, leap day included. */
export const MAX_USAGE_DAYS = 366;

/** A call's group, where the call itself says it; the rest are its run's (joined). */
const CALL_COLUMNS: Partial<Record<UsageQuery["group_by"], SQLiteColumn>> = {
  member: modelCalls.memberId,
  model: modelCalls.modelId,
};
const RUN_COLUMNS: Record<Exclude<UsageQuery["group_by"], "day">, SQLiteColumn> = {
  member: runs.creatorId,
  model: runs.modelId,
  source: runs.source,
  environment: runs.environmentId,
  schedule: runs.scheduleId,
};

type Key = string | number | null;
type CallLine = Omit<UsageTotals, "runs" | "compute_time_ms" | "cost_usd"> & { micros: number };

/**
 * What the team spent in [from, to): the gateway's ledger (tokens, cost, model calls, failed ones)
 * summed over the calls made in the range, and the runs created in it with their host time, in
 * total and by day (in `tz`), member, model, source, environment or schedule. Any role may read
 * it, and it counts every run of the team, personal ones too (docs/security.md): spending is the
 * team's, as its budgets are.
 *
 * Two grouped aggregates in one D1 batch: the calls through `model_calls_team_created` (joined to
 * their run by primary key only when grouped by a run's field), the runs through `runs_team_stats`
 * (but for `schedule_id`, read from the row). Costs are summed in integer micro-USD and turned
 * into USD once, so the groups add up to the total exactly.
 */
export async function getUsageReport({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: UsageQuery;
}): Promise<UsageReport> {
  const now = Date.now();
  const { from, to } = resolveRange(input, now, MAX_USAGE_DAYS);
  const g = input.group_by;
  const byDay = g === "day";
  const callColumn = byDay ? undefined : (CALL_COLUMNS[g] ?? RUN_COLUMNS[g]);
  const callKey = byDay ? localDay(modelCalls.createdAt, from, to, input.tz) : sql`${callColumn}`;
  // `+column`: a bare column would let SQLite group along that column's `(team_id, column,
  // created_at)` index, reading the team's whole history instead of the range
  const runKey = byDay ? localDay(runs.createdAt, from, to, input.tz) : sql`+${RUN_COLUMNS[g]}`;
  const sum = (c: SQLiteColumn) => sql<number>`coalesce(sum(${c}), 0)`;
  const db = ctx.db;
  const calls = db
    .select({
      key: sql<Key>`${callKey}`.as("k"),
      n: sql<number>`count(*)`,
      failed: sql<number>`coalesce(sum(${modelCalls.status} >= 400), 0)`,
      input: sum(modelCalls.inputTokens),
      output: sum(modelCalls.outputTokens),
      cacheRead: sum(modelCalls.cacheReadTokens),
      cacheWrite: sum(modelCalls.cacheWriteTokens),
      inputCost: sum(modelCalls.inputCost),
      outputCost: sum(modelCalls.outputCost),
      cacheReadCost: sum(modelCalls.cacheReadCost),
      cacheWriteCost: sum(modelCalls.cacheWriteCost),
    })
    .from(modelCalls);
  const callsWhere = and(
    eq(modelCalls.teamId, ctx.teamId),
    gte(modelCalls.createdAt, from),
    lt(modelCalls.createdAt, to),
  );
  const joinsRun = callColumn !== undefined && !(g in CALL_COLUMNS);
  const compute = sql<number>`coalesce(sum(case when ${runs.startedAt} is null then 0
    else coalesce(${runs.endedAt}, ${now}) - ${runs.startedAt} end), 0)`;
  const [callRows, runRows] = await db.batch([
    (joinsRun
      ? calls.leftJoin(runs, and(eq(runs.id, modelCalls.runId), eq(runs.teamId, ctx.teamId)))
      : calls
    )
      .where(callsWhere)
      .groupBy(sql`k`),
    db
      .select({ key: sql<Key>`${runKey}`.as("k"), n: sql<number>`count(*)`, compute })
      .from(runs)
      .where(and(eq(runs.teamId, ctx.teamId), gte(runs.createdAt, from), lt(runs.createdAt, to)))
      .groupBy(sql`k`),
  ]);

  const keyOf = (k: Key) => (k === null ? null : byDay ? dateOfDay(Number(k)) : String(k));
  const groups = new Map<string | null, UsageTotals & { micros: number }>();
  const group = (k: Key) => {
    const key = keyOf(k);
    let t = groups.get(key);
    if (!t) groups.set(key, (t = zeroTotals()));
    return t;
  };
  for (const r of callRows) addCalls(group(r.key), toCallLine(r));
  for (const r of runRows) {
    const t = group(r.key);
    t.runs += r.n;
    t.compute_time_ms += r.compute;
  }
  const total = zeroTotals();
  for (const t of groups.values()) {
    addCalls(total, t);
    total.runs += t.runs;
    total.compute_time_ms += t.compute_time_ms;
  }
  const bucket = (key: string | null, t = zeroTotals()): UsageBucket => ({ key, ...usd(t) });
  let series: UsageBucket[];
  let truncated = false;
  if (byDay) series = daysOf(from, to, input.tz).map((d) => bucket(d, groups.get(d)));
  else {
    const all = [...groups].sort(
      ([ka, a], [kb, b]) =>
        b.micros - a.micros ||
        b.model_calls - a.model_calls ||
        b.runs - a.runs ||
        String(ka).localeCompare(String(kb)),
    );
    truncated = all.length > MAX_GROUPS;
    series = all.slice(0, MAX_GROUPS).map(([k, t]) => bucket(k, t));
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    tz: input.tz,
    group_by: g,
    total: usd(total),
    series,
    series_truncated: truncated,
  };
}

const zeroTotals = (): UsageTotals & { micros: number } => ({
  micros: 0,
  cost_usd: 0,
  cost_breakdown_usd: {
    input_cost_usd: 0,
    input_cache_read_cost_usd: 0,
    input_cache_write_cost_usd: 0,
    output_cost_usd: 0,
  },
  tokens: { input: 0, output: 0, input_cache_read: 0, input_cache_write: 0, total: 0 },
  model_calls: 0,
  failed_model_calls: 0,
  runs: 0,
  compute_time_ms: 0,
});

/** A row of the calls aggregate, costs still in micro-USD (in `cost_breakdown_usd`'s places). */
function toCallLine(
  r: Omit<UsageLine, "modelId" | "category" | "calls"> & { n: number; failed: number },
): CallLine {
  return {
    micros: r.inputCost + r.outputCost + r.cacheReadCost + r.cacheWriteCost,
    cost_breakdown_usd: {
      input_cost_usd: r.inputCost,
      input_cache_read_cost_usd: r.cacheReadCost,
      input_cache_write_cost_usd: r.cacheWriteCost,
      output_cost_usd: r.outputCost,
    },
    tokens: {
      input: r.input,
      output: r.output,
      input_cache_read: r.cacheRead,
      input_cache_write: r.cacheWrite,
      total: r.input + r.output + r.cacheRead + r.cacheWrite,
    },
    model_calls: r.n,
    failed_model_calls: r.failed,
  };
}

/** Adds calls' figures (costs in micro-USD) to `t`. */
function addCalls(t: UsageTotals & { micros: number }, c: CallLine) {
  t.micros += c.micros;
  for (const k of Object.keys(t.tokens) as (keyof UsageTotals["tokens"])[])
    t.tokens[k] += c.tokens[k];
  const b = t.cost_breakdown_usd;
  for (const k of Object.keys(b) as (keyof typeof b)[]) b[k] += c.cost_breakdown_usd[k];
  t.model_calls += c.model_calls;
  t.failed_model_calls += c.failed_model_calls;
}

/** Totals with their micro-USD turned into USD, once, at the end. */
function usd({ micros, ...t }: UsageTotals & { micros: number }): UsageTotals {
  const b = t.cost_breakdown_usd;
  return {
    ...t,
    cost_usd: micros / 1e6,
    cost_breakdown_usd: {
      input_cost_usd: b.input_cost_usd / 1e6,
      input_cache_read_cost_usd: b.input_cache_read_cost_usd / 1e6,
      input_cache_write_cost_usd: b.input_cache_write_cost_usd / 1e6,
      output_cost_usd: b.output_cost_usd / 1e6,
    },
    tokens: { ...t.tokens },
  };
}
