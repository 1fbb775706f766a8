import type { ListRunsQuery, RunItem } from "@ambit/protocol";
import {
  and,
  asc,
  desc,
  eq,
  exists,
  gte,
  inArray,
  isNull,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { runArtifacts, runMetadata, runs } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import type { Ctx } from "../context.ts";
import { parseArtifacts, selectRunViews } from "./get-run.ts";
import { visibleTo } from "./sharing.ts";
import { toRunItem } from "./run-item.ts";
import { parseUsage } from "./run-usage.ts";

export const EMPTY_ENVIRONMENT = "empty-environment";
const MAX_METADATA_FILTERS = 5;

const SORT_COLUMNS = {
  updated_at: runs.updatedAt,
  created_at: runs.createdAt,
  title: runs.title,
} as const;

export type ListRunsInput = ListRunsQuery & { metadata?: Record<string, string> };

/**
 * Below this many matches, a filtered list reads its filter's matches by the filter's index and
 * sorts them; from it on, it walks the team's runs in the sort's index until the page is full
 * (docs/scaling.md, "Which list plans").
 */
export const NARROW_MAX = 1000;

/**
 * Lists the runs the caller can see, filtered and sorted, one keyset page at a time:
 * the cursor holds the last row's (sort value, id), so pages stay stable while runs are inserted.
 */
export async function listRuns({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: ListRunsInput;
}): Promise<{ runs: RunItem[]; page_info: { has_next_page: boolean; next_cursor?: string } }> {
  const rows = await listRunsQuery(ctx, input, await sortsMatches(ctx, input));
  const page = rows.slice(0, input.limit);
  const hasNext = rows.length > input.limit;
  const last = page.at(-1)?.row;
  return {
    runs: page.map((r) =>
      toRunItem(
        r.row,
        { displayName: r.displayName, email: r.email },
        parseArtifacts(r.artifacts),
        ctx.baseUrl,
        parseUsage(r.usage),
      ),
    ),
    page_info: {
      has_next_page: hasNext,
      ...(hasNext && last
        ? {
            next_cursor: encodeCursor({
              sortBy: input.sort_by,
              order: input.sort_order,
              value: sortValue(last, input.sort_by),
              id: last.id,
            }),
          }
        : {}),
    },
  };
}

/**
 * The filter terms an index of the team's runs narrows to: a state's `(team_id, state,
 * updated_at | created_at, id)`, the others' `(team_id, <filter>, created_at)`. The latter end in
 * no `updated_at` for a state change to rewrite, so no sort but creation finds them in order.
 */
function indexedFilters(q: ListRunsInput): SQL[] {
  const out: SQL[] = [];
  if (q.state?.length)
    out.push(q.state.length === 1 ? eq(runs.state, q.state[0]) : inArray(runs.state, q.state));
  if (q.source) out.push(eq(runs.source, q.source));
  if (q.execution_location) out.push(eq(runs.executionLocation, q.execution_location));
  if (q.creator) out.push(eq(runs.creatorId, q.creator));
  const name = q.name ?? q.config_name;
  if (name) out.push(eq(runs.configName, name));
  if (q.model_id) out.push(eq(runs.modelId, q.model_id));
  if (q.environment_id)
    out.push(
      q.environment_id === EMPTY_ENVIRONMENT
        ? isNull(runs.environmentId)
        : eq(runs.environmentId, q.environment_id),
    );
  if (q.schedule_id) out.push(eq(runs.scheduleId, q.schedule_id));
  const skill = q.skill_spec ?? q.skill;
  if (skill) out.push(eq(runs.skillSpec, skill));
  return out;
}

/**
 * Whether the page is cheaper read by its filter's index and sorted than walked in the sort's
 * index with the filter checked on each run: when no index has both and the filter's index
 * holds fewer than NARROW_MAX of the team's runs (counted reading at most that many entries).
 * SQLite without statistics would always walk, reading the team's whole history for a filter
 * that matches few or none of its runs.
 */
async function sortsMatches(ctx: Ctx, q: ListRunsInput): Promise<boolean> {
  const terms = indexedFilters(q);
  // a state's own indexes are in the order of `updated_at` and `created_at`
  if (!terms.length || (q.state?.length && q.sort_by !== "title")) return false;
  const matches = ctx.db
    .select({ one: sql`1` })
    .from(runs)
    .where(and(eq(runs.teamId, ctx.teamId), ...terms))
    .limit(NARROW_MAX)
    .as("matches");
  const [{ n }] = await ctx.db.select({ n: sql<number>`count(*)` }).from(matches);
  return n < NARROW_MAX;
}

/**
 * The page's query, unsent: `listRuns` runs it, and the query-plan test examines its SQL for
 * every filter and sort (test/integration/runs-list-plans.test.ts). `narrow`: sort the filter's
 * matches (`+column` keeps SQLite from walking the sort's index instead).
 */
export function listRunsQuery(ctx: Ctx, input: ListRunsInput, narrow = false) {
  // `+column` in the keyset too, or SQLite would range over the sort's index from the cursor
  const sortCol = narrow ? sql`+${SORT_COLUMNS[input.sort_by]}` : SORT_COLUMNS[input.sort_by];
  const order = input.sort_order;
  const where: (SQL | undefined)[] = [
    eq(runs.teamId, ctx.teamId),
    visibleTo(ctx),
    ...filters(ctx, input),
  ];
  if (input.cursor) {
    const c = decodeCursor(input.cursor, input.sort_by, order);
    const keyset =
      order === "desc"
        ? sql`(${sortCol}, ${runs.id}) < (${c.value}, ${c.id})`
        : sql`(${sortCol}, ${runs.id}) > (${c.value}, ${c.id})`;
    where.push(keyset);
  }
  const dir = order === "desc" ? desc : asc;
  return selectRunViews(ctx)
    .where(and(...where))
    .orderBy(dir(sortCol), dir(runs.id))
    .limit(input.limit + 1);
}

function sortValue(row: typeof runs.$inferSelect, sortBy: ListRunsQuery["sort_by"]) {
  return sortBy === "title" ? row.title : sortBy === "created_at" ? row.createdAt : row.updatedAt;
}

function filters(ctx: Ctx, q: ListRunsInput): (SQL | undefined)[] {
  const out: (SQL | undefined)[] = indexedFilters(q);
  if (q.created_after) out.push(gte(runs.createdAt, Date.parse(q.created_after)));
  if (q.created_before) out.push(lte(runs.createdAt, Date.parse(q.created_before)));
  if (q.updated_after) out.push(gte(runs.updatedAt, Date.parse(q.updated_after)));
  if (q.artifact_type) {
    out.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(runArtifacts)
          .where(
            and(
              eq(runArtifacts.runId, runs.id),
              eq(runArtifacts.teamId, ctx.teamId),
              eq(runArtifacts.artifactType, q.artifact_type),
            ),
          ),
      ),
    );
  }
  if (q.q) {
    const pattern = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    out.push(
      or(
        sql`${runs.title} LIKE ${pattern} ESCAPE '\\'`,
        sql`${runs.prompt} LIKE ${pattern} ESCAPE '\\'`,
        sql`${runs.skillSpec} LIKE ${pattern} ESCAPE '\\'`,
      ),
    );
  }
  const pairs = Object.entries(q.metadata ?? {});
  if (pairs.length > MAX_METADATA_FILTERS) {
    throw new AppError(
      "invalid_request",
      `at most ${MAX_METADATA_FILTERS} metadata[key]=value filters may be combined`,
      {
        errors: [{ path: "metadata", message: `${pairs.length} pairs given` }],
      },
    );
  }
  for (const [key, value] of pairs) {
    out.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(runMetadata)
          .where(
            and(
              eq(runMetadata.runId, runs.id),
              eq(runMetadata.teamId, ctx.teamId),
              eq(runMetadata.key, key),
              eq(runMetadata.value, value),
            ),
          ),
      ),
    );
  }
  return out;
}
