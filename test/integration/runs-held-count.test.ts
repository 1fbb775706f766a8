import { env } from "cloudflare:workers";
import { count } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { holdingSlot } from "../../src/db/runs.ts";
import { runs } from "../../src/db/schema.ts";
import { newTeam } from "../helpers/api.ts";
import { insertRunRow } from "../helpers/runs.ts";

// A run's creation and each assignment count the team's runs holding a slot. That count must read
// the held runs (a range of the team+state index), not every run the team ever had: with the
// planner left to itself it took the (team, execution_location) index and read the team's whole
// history, per creation and per assignment (bench cost: rows read per run grew with the team).
describe("the team's held runs", () => {
  it("are counted by reading them, not the team's ended runs", async () => {
    const t = await newTeam();
    const ended = Date.now() - 60_000;
    for (let i = 0; i < 40; i++)
      await insertRunRow(t, { state: "SUCCEEDED", started_at: ended, ended_at: ended });
    for (let i = 0; i < 3; i++) await insertRunRow(t, { state: "INPROGRESS", started_at: ended });
    await insertRunRow(t, { state: "INPROGRESS", execution_location: "LOCAL", started_at: ended });
    const q = createDb(env.DB)
      .select({ n: count() })
      .from(runs)
      .where(holdingSlot(t.teamId))
      .toSQL();
    const res = await env.DB.prepare(q.sql)
      .bind(...q.params)
      .all<Record<string, number>>();
    expect(Object.values(res.results[0])).toEqual([3]); // drizzle names no column: its only one
    expect(res.meta.rows_read).toBeLessThan(10);
  });
});
