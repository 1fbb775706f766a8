// Queries built once with placeholders (src/db/statements.ts) bind what drizzle itself would.
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { schedules } from "../../src/db/schema.ts";
import { statementOnce } from "../../src/db/statements.ts";
import { newTeam } from "../helpers/api.ts";
import { createRun, runRow } from "../helpers/runs.ts";

describe("statementOnce", () => {
  it("encodes each value through its column (JSON stringified) and binds null or missing as NULL, not 'null'", async () => {
    const t = await newTeam("statements");
    const plain = await createRun(t.key, { prompt: "no metadata" });
    const rich = await createRun(t.key, {
      prompt: "with",
      metadata: { ticket: "A-1" },
      config: { name: "nightly" },
    });
    const nulls = await env.DB.prepare(
      "SELECT metadata IS NULL AS m, schedule_info IS NULL AS s, parent_run_id IS NULL AS p FROM runs WHERE id = ?",
    )
      .bind(plain)
      .first();
    expect(nulls).toEqual({ m: 1, s: 1, p: 1 });
    const row = (await runRow(rich))!;
    expect(JSON.parse(row.metadata as string)).toEqual({ ticket: "A-1" });
    expect(JSON.parse(row.agent_config as string)).toMatchObject({ name: "nightly" });
    expect(row.config_name).toBe("nightly");
  });

  it("builds once and binds each call's values (constants of the query stay)", async () => {
    let builds = 0;
    const byName = statementOnce<{ teamId: string; name: string }>((db) => {
      builds++;
      return db
        .select({ id: schedules.id })
        .from(schedules)
        .where(
          sql`${schedules.teamId} = ${sql.placeholder("teamId")} AND ${eq(schedules.name, sql.placeholder("name"))} AND 1 = ${1}`,
        );
    });
    const db = createDb(env.DB);
    for (const name of ["a", "b"])
      expect((await byName(db, { teamId: "no-such-team", name }).all()).results).toEqual([]);
    expect(builds).toBe(1);
  });
});
